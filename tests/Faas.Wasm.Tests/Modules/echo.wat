;; echo: copies stdin to stdout. The smallest useful Faas function (a WASI command module):
;; reads the request payload with fd_read until it returns 0 bytes, writing each chunk with fd_write.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0: iovec { buf, len }   8: bytes read   12: bytes written   1024..65536: buffer
  (func (export "_start")
    (local $n i32)
    (loop $chunk
      (i32.store (i32.const 0) (i32.const 1024))
      (i32.store (i32.const 4) (i32.const 64512))
      (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
        (then unreachable))
      (local.set $n (i32.load (i32.const 8)))
      (if (i32.eqz (local.get $n))
        (then return))
      (i32.store (i32.const 4) (local.get $n))
      (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12))
        (then unreachable))
      (br $chunk))))

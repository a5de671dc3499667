;; Writes its environment to stdout as NUL-terminated KEY=VALUE strings.
(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0: count   4: buffer size   16: iovec   32: written   1024: pointers   8192: strings
  (func (export "_start")
    (if (call $environ_sizes_get (i32.const 0) (i32.const 4)) (then unreachable))
    (if (call $environ_get (i32.const 1024) (i32.const 8192)) (then unreachable))
    (i32.store (i32.const 16) (i32.const 8192))
    (i32.store (i32.const 20) (i32.load (i32.const 4)))
    (if (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 32)) (then unreachable))))

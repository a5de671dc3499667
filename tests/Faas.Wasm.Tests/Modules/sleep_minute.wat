;; Sleeps a minute (a relative monotonic clock subscription to poll_oneoff), then writes "awake": holds a slot until cancelled.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "awake")
  ;; 0: subscription (48 bytes)   64: event (32 bytes)   128: event count   256: iovec   264: written
  (func (export "_start")
    (i64.store (i32.const 0) (i64.const 42))            ;; userdata
    (i32.store8 (i32.const 8) (i32.const 0))            ;; tag: clock
    (i32.store (i32.const 16) (i32.const 1))            ;; clock id: monotonic
    (i64.store (i32.const 24) (i64.const 60000000000)) ;; timeout: 60 s
    (i64.store (i32.const 32) (i64.const 0))            ;; precision
    (i32.store16 (i32.const 40) (i32.const 0))          ;; flags: relative
    (if (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)) (then unreachable))
    (if (i32.ne (i32.load (i32.const 128)) (i32.const 1)) (then unreachable))
    (i32.store (i32.const 256) (i32.const 512))
    (i32.store (i32.const 260) (i32.const 5))
    (drop (call $fd_write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 264)))))

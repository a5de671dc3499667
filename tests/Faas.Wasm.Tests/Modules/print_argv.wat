;; Writes its arguments to stdout as NUL-terminated strings.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (if (call $args_sizes_get (i32.const 0) (i32.const 4)) (then unreachable))
    (if (call $args_get (i32.const 1024) (i32.const 8192)) (then unreachable))
    (i32.store (i32.const 16) (i32.const 8192))
    (i32.store (i32.const 20) (i32.load (i32.const 4)))
    (if (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 32)) (then unreachable))))

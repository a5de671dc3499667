;; Grows its memory a mebibyte at a time until refused, then traps, as an allocator out of memory would.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $more
      (br_if $more (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    unreachable))

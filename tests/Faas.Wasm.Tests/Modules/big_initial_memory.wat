;; Asks for 256 MiB of memory up front.
(module
  (memory (export "memory") 4096)
  (func (export "_start")))

;; Imports from a module other than wasi_snapshot_preview1.
(module
  (import "env" "now" (func $now (result i64)))
  (memory (export "memory") 1)
  (func (export "_start") (drop (call $now))))

// Faas glue for AssemblyScript: the function's payload from stdin, its result to stdout, through WASI.
@external("wasi_snapshot_preview1", "fd_read")
declare function fd_read(fd: u32, iovs: usize, iovsLen: u32, nread: usize): u16;

@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: usize, iovsLen: u32, nwritten: usize): u16;

@external("wasi_snapshot_preview1", "proc_exit")
declare function proc_exit(code: u32): void;

/** Reads stdin to its end. */
export function readInput(): Uint8Array {
  let result = new Uint8Array(0);
  const chunk = new Uint8Array(65536);
  const iov = new StaticArray<u32>(2);
  const count = new StaticArray<u32>(1);
  while (true) {
    unchecked(iov[0] = <u32>chunk.dataStart);
    unchecked(iov[1] = <u32>chunk.length);
    if (fd_read(0, changetype<usize>(iov), 1, changetype<usize>(count)) != 0) break;
    const n = unchecked(count[0]);
    if (n == 0) break;
    const grown = new Uint8Array(result.length + n);
    grown.set(result);
    grown.set(chunk.subarray(0, n), result.length);
    result = grown;
  }
  return result;
}

/** Reads stdin to its end as UTF-8 text. */
export function readInputText(): string {
  return String.UTF8.decode(readInput().buffer);
}

/** Writes all of bytes to stdout. */
export function writeOutput(bytes: Uint8Array): void {
  const iov = new StaticArray<u32>(2);
  const count = new StaticArray<u32>(1);
  let offset = 0;
  while (offset < bytes.length) {
    unchecked(iov[0] = <u32>(bytes.dataStart + offset));
    unchecked(iov[1] = <u32>(bytes.length - offset));
    if (fd_write(1, changetype<usize>(iov), 1, changetype<usize>(count)) != 0) proc_exit(1);
    offset += unchecked(count[0]);
  }
}

/** Writes text to stdout as UTF-8. */
export function writeOutputText(text: string): void {
  writeOutput(Uint8Array.wrap(String.UTF8.encode(text)));
}

/** Ends the function with an exit code (0 = success). */
export function exit(code: u32): never {
  proc_exit(code);
  unreachable();
}

// An uncaught error or failed assertion: its message to stderr, then exit code 1 (replaces asc's `env.abort`).
export function faasAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const text = String.UTF8.encode(`abort: ${message !== null ? message : ""} at ${fileName !== null ? fileName : ""}:${line}:${column}\n`);
  const iov = new StaticArray<u32>(2);
  const count = new StaticArray<u32>(1);
  unchecked(iov[0] = <u32>changetype<usize>(text));
  unchecked(iov[1] = <u32>text.byteLength);
  fd_write(2, changetype<usize>(iov), 1, changetype<usize>(count));
  proc_exit(1);
}

// echo: copies stdin to stdout, the smallest useful Faas function in Rust.
use std::io::{self, Read, Write};

fn main() {
    let mut payload = Vec::new();
    io::stdin().read_to_end(&mut payload).expect("read stdin");
    io::stdout().write_all(&payload).expect("write stdout");
}

//! The `vigil` binary: parses the command line and runs it; exit code 2 with one line on
//! bad input, 1 on a runtime failure.

use clap::Parser;
use vigil::alloc::CountingAlloc;

#[global_allocator]
static GLOBAL: CountingAlloc<mimalloc::MiMalloc> = CountingAlloc(mimalloc::MiMalloc);

fn main() {
    let cli = vigil::cli::Cli::parse();
    if let Err(f) = vigil::cli::execute(cli) {
        eprintln!("vigil: {}", f.message);
        std::process::exit(f.code);
    }
}

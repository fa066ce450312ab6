//! The `gpugan` binary: thin; everything lives in the library.

mod cli;

use clap::Parser;

use cli::{Cli, Command};

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Info => info(&cli.adapter.choice()),
    }
}

fn info(choice: &gpugan::AdapterChoice) -> anyhow::Result<()> {
    let reports = gpugan::gpu::list_adapters(choice)?;
    if reports.is_empty() {
        // Let adapter choice produce its explanation (what to install).
        gpugan::Gpu::new(choice)?;
    }
    for report in &reports {
        println!("{report}");
    }
    if !reports.iter().any(|r| r.chosen) {
        anyhow::bail!(
            "none of these adapters fits the request (compute shaders, --adapter, --backend)"
        );
    }
    Ok(())
}

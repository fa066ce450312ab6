//! The `gpugan` binary: thin; everything lives in the library.

mod cli;

use clap::Parser;

use cli::{Cli, Command};

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            // One line: clap's first line names the flag, the value and why.
            let text = e.to_string();
            eprintln!("{}", text.lines().next().unwrap_or("invalid arguments"));
            std::process::exit(2);
        }
    };
    if let Err(e) = run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Info => info(&cli.adapter.choice()),
        Command::Train(args) => train(&cli.adapter.choice(), &args),
    }
}

fn train(choice: &gpugan::AdapterChoice, args: &cli::TrainArgs) -> anyhow::Result<()> {
    // Check the flags before opening the device: bad input fails fast.
    args.config(false).validate()?;
    let gpu = gpugan::Gpu::new(choice)?;
    let config = args.config(gpu.is_cpu());
    if gpu.is_cpu() && !args.sized_by_user() {
        let size = if config.data.is_toy() {
            format!("{}-wide nets", config.hidden)
        } else {
            format!("DCGAN widths {}/{}", config.g_width, config.d_width)
        };
        eprintln!(
            "CPU adapter: training {size} for {} steps at lr {}{} to finish in minutes; \
             set the widths, --steps and --lr to change this",
            config.steps,
            config.lr,
            if config.lr_decay == gpugan::train::LrDecay::Linear {
                " (decayed to 0)"
            } else {
                ""
            }
        );
    }
    eprintln!(
        "training {} ({}) on {} ({:?}); run folder {}",
        config.data.name(),
        config.loss.name(),
        gpu.info().name,
        gpu.info().backend,
        config.out.display()
    );
    let summary = gpugan::train::run::train(&gpu, config)?;
    eprintln!(
        "done: {} steps in {:.1} s ({:.2} it/s)",
        summary.steps,
        summary.seconds,
        summary.steps as f64 / summary.seconds
    );
    Ok(())
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

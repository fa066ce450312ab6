//! The `gpugan` binary: thin; everything lives in the library.

mod cli;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

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
        Command::Sample(args) => sample(&cli.adapter.choice(), &args),
        Command::Interpolate(args) => interpolate(&cli.adapter.choice(), &args),
        Command::Bench(args) => bench(&cli.adapter.choice(), &args),
    }
}

fn bench(choice: &gpugan::AdapterChoice, args: &cli::BenchArgs) -> anyhow::Result<()> {
    use gpugan::bench::{
        Workload, first_iteration_profile, matmul_lines, training_line, training_profile,
    };
    let launched = std::time::Instant::now();
    let gpu = gpugan::Gpu::new(choice)?;
    let device_s = launched.elapsed().as_secs_f64();
    println!(
        "adapter: {} ({:?}); matmul: {}",
        gpu.info().name,
        gpu.info().backend,
        gpu.matmul_family()
    );
    let mut first_workload = true;
    let workloads = match args.workload {
        Some(w) => vec![w],
        None => vec![Workload::W1, Workload::W2, Workload::W3, Workload::M],
    };
    for w in workloads {
        if args.profile_first {
            if w == Workload::M {
                println!("m: not profiled (--profile-first times training workloads)");
            } else {
                let (profile, seconds) = first_iteration_profile(choice, w)?;
                println!(
                    "{} first iteration, each dispatch alone, in a new device: {seconds:.1} s",
                    format!("{w:?}").to_lowercase()
                );
                print!("{}", profile.report());
            }
        } else if w == Workload::M {
            for line in matmul_lines(&gpu, args.iters)? {
                println!("{line}");
            }
        } else {
            let (line, first) = training_line(&gpu, w, args.iters)?;
            println!("{line}");
            if args.profile {
                print!("{}", training_profile(&gpu, w)?);
            }
            if first_workload {
                // Opening the device plus building, loading and the first
                // iteration (pipelines compiled on first use, no cache).
                println!(
                    "start-up: launch to the end of the first iteration {:.1} s",
                    device_s + first
                );
                first_workload = false;
            }
        }
    }
    Ok(())
}

/// First Ctrl-C: the run finishes its iteration, saves a checkpoint and
/// stops. Second: exit at once.
fn stop_on_ctrl_c() -> gpugan::train::run::RunControl {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let presses = AtomicUsize::new(0);
    let installed = ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            eprintln!(
                "\nCtrl-C: finishing this iteration and saving a checkpoint (Ctrl-C again to quit now)"
            );
            flag.store(true, Ordering::SeqCst);
        } else {
            std::process::exit(130);
        }
    });
    if let Err(e) = installed {
        log::warn!(
            "cannot catch Ctrl-C ({e}); an interrupted run keeps only its last periodic checkpoint"
        );
    }
    gpugan::train::run::RunControl { stop: Some(stop) }
}

fn write_png(path: &std::path::Path, png: &[u8]) -> anyhow::Result<()> {
    gpugan::train::checkpoint::write_synced(path, png)?;
    Ok(())
}

fn sample(choice: &gpugan::AdapterChoice, args: &cli::SampleArgs) -> anyhow::Result<()> {
    let gpu = gpugan::Gpu::new(choice)?;
    let png = gpugan::train::generate::sample_png(
        &gpu,
        &args.checkpoint,
        args.n,
        args.seed,
        args.truncation,
        args.class,
    )?;
    write_png(&args.out, &png)?;
    eprintln!("{} samples written to {}", args.n, args.out.display());
    Ok(())
}

fn interpolate(choice: &gpugan::AdapterChoice, args: &cli::InterpolateArgs) -> anyhow::Result<()> {
    let gpu = gpugan::Gpu::new(choice)?;
    let png = gpugan::train::generate::interpolate_png(
        &gpu,
        &args.checkpoint,
        args.rows,
        args.steps,
        args.mode,
        args.seed,
    )?;
    write_png(&args.out, &png)?;
    eprintln!(
        "{} rows of {} points ({:?}) written to {}",
        args.rows,
        args.steps,
        args.mode,
        args.out.display()
    );
    Ok(())
}

fn train(choice: &gpugan::AdapterChoice, args: &cli::TrainArgs) -> anyhow::Result<()> {
    // Check the flags before opening the device: bad input fails fast.
    if let Some(run_dir) = &args.resume {
        args.check_resume_flags().map_err(anyhow::Error::msg)?;
        let latest = gpugan::train::checkpoint::latest(run_dir)?;
        gpugan::train::checkpoint::Checkpoint::read(&latest)?;
        let gpu = gpugan::Gpu::new(choice)?;
        let control = stop_on_ctrl_c();
        let changes = gpugan::train::run::ResumeChanges {
            steps: args.steps,
            log_every: args.log_every,
            sample_every: args.sample_every,
            checkpoint_every: args.checkpoint_every,
            keep: args.keep,
        };
        let summary = gpugan::train::run::resume(&gpu, run_dir, &changes, &control)?;
        return report(&summary);
    }
    args.config(false).validate()?;
    let gpu = gpugan::Gpu::new(choice)?;
    let config = args.config(gpu.is_cpu());
    if gpu.is_cpu() && !args.sized_by_user() {
        let size = if config.data.is_toy() {
            format!("{}-wide nets", config.hidden)
        } else {
            format!(
                "DCGAN widths {}/{}, batch {}, n_critic {}",
                config.g_width, config.d_width, config.batch_size, config.n_critic
            )
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
    let control = stop_on_ctrl_c();
    let summary = gpugan::train::run::train_with(&gpu, config, &control)?;
    report(&summary)
}

fn report(summary: &gpugan::train::run::Summary) -> anyhow::Result<()> {
    let saved = summary
        .checkpoint
        .as_ref()
        .map_or(String::new(), |p| format!("; checkpoint {}", p.display()));
    if summary.interrupted {
        eprintln!(
            "interrupted at step {}{saved}; continue with gpugan train --resume RUN_DIR",
            summary.steps
        );
        std::process::exit(130);
    }
    let run = summary.steps - summary.first_step;
    eprintln!(
        "done: step {} reached, {run} steps in {:.1} s ({:.2} it/s){saved}",
        summary.steps,
        summary.seconds,
        run as f64 / summary.seconds
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

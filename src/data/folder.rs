//! `folder:PATH`: a folder of png or jpg images of any size, decoded on every
//! core, centre-cropped to a square, resized to `size`×`size` and converted
//! to 1 or 3 channels. When the images sit in sub-folders (one per class,
//! as torchvision's ImageFolder), the sorted sub-folder names are the labels.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use image::imageops::FilterType;

use super::ImageSet;
use crate::error::{Error, Result};

const EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];
/// Labels are stored as bytes.
const MAX_CLASSES: usize = 256;

fn data_error(path: &Path, reason: impl Into<String>) -> Error {
    Error::Data {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

fn is_image(path: &Path) -> bool {
    path.is_file()
        && path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The entries of `dir`, sorted by name so that runs are reproducible.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let read = std::fs::read_dir(dir).map_err(|e| data_error(dir, format!("cannot list: {e}")))?;
    let mut paths = read
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| data_error(dir, format!("cannot list: {e}")))?;
    paths.sort();
    Ok(paths)
}

/// Image files with their class: the images directly in `dir` (no labels),
/// or, when there are none, those of its sub-folders (label = folder index).
fn find_images(dir: &Path) -> Result<(Vec<PathBuf>, Option<Vec<u8>>)> {
    if !dir.is_dir() {
        return Err(data_error(dir, "not a folder"));
    }
    let entries = sorted_entries(dir)?;
    let top: Vec<PathBuf> = entries.iter().filter(|p| is_image(p)).cloned().collect();
    if !top.is_empty() {
        return Ok((top, None));
    }
    let mut files = Vec::new();
    let mut labels = Vec::new();
    let mut next_label = 0usize;
    let classes: Vec<&PathBuf> = entries.iter().filter(|p| p.is_dir()).collect();
    for class in &classes {
        let images: Vec<PathBuf> = sorted_entries(class)?
            .into_iter()
            .filter(|p| is_image(p))
            .collect();
        if images.is_empty() {
            continue;
        }
        let label = next_label;
        next_label += 1;
        if label >= MAX_CLASSES {
            return Err(data_error(
                dir,
                format!("more than {MAX_CLASSES} class folders hold images"),
            ));
        }
        labels.extend(std::iter::repeat_n(label as u8, images.len()));
        files.extend(images);
    }
    if files.is_empty() {
        return Err(data_error(
            dir,
            "no .png, .jpg or .jpeg images here or in its sub-folders",
        ));
    }
    Ok((files, Some(labels)))
}

/// Decodes one image into `size`×`size`×`channels` bytes, channel-major.
fn load_one(path: &Path, size: usize, channels: usize) -> Result<Vec<u8>> {
    let img = image::ImageReader::open(path)
        .map_err(|e| data_error(path, format!("cannot read: {e}")))?
        .with_guessed_format()
        .map_err(|e| data_error(path, format!("cannot read: {e}")))?
        .decode()
        .map_err(|e| data_error(path, format!("cannot decode as an image: {e}")))?;
    let side = img.width().min(img.height());
    let square = img.crop_imm(
        (img.width() - side) / 2,
        (img.height() - side) / 2,
        side,
        side,
    );
    let s = size as u32;
    let resized = square.resize_exact(s, s, FilterType::Triangle);
    let interleaved = if channels == 1 {
        resized.to_luma8().into_raw()
    } else {
        resized.to_rgb8().into_raw()
    };
    // HWC → CHW.
    let plane = size * size;
    let mut out = vec![0u8; channels * plane];
    for (i, &v) in interleaved.iter().enumerate() {
        out[(i % channels) * plane + i / channels] = v;
    }
    Ok(out)
}

/// Progress on stderr while `done` counts up to `total`.
fn show_progress(done: usize, total: usize, tty: bool, finished: bool) {
    let line = format!("reading images: {done}/{total}");
    if tty {
        eprint!("\r{line}{}", if finished { "\n" } else { "" });
        let _ = std::io::stderr().flush();
    } else if finished {
        eprintln!("{line}");
    }
}

/// Loads every image under `dir` (see the module docs) on all cores.
pub fn load(dir: &Path, size: usize, channels: usize) -> Result<ImageSet> {
    if size == 0 || !matches!(channels, 1 | 3) {
        return Err(data_error(
            dir,
            format!("--size must be ≥ 1 and --channels 1 or 3, got {size} and {channels}"),
        ));
    }
    let (files, labels) = find_images(dir)?;
    let image_len = channels * size * size;
    let mut pixels = vec![0u8; files.len() * image_len];
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let first_error: Mutex<Option<(usize, Error)>> = Mutex::new(None);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let slots: Vec<Mutex<&mut [u8]>> = pixels.chunks_mut(image_len).map(Mutex::new).collect();
    let tty = std::io::stderr().is_terminal();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= files.len() || first_error.lock().unwrap().is_some() {
                        break;
                    }
                    match load_one(&files[i], size, channels) {
                        Ok(bytes) => slots[i].lock().unwrap().copy_from_slice(&bytes),
                        Err(e) => {
                            let mut slot = first_error.lock().unwrap();
                            if slot.as_ref().is_none_or(|(j, _)| i < *j) {
                                *slot = Some((i, e));
                            }
                        }
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        let start = Instant::now();
        while done.load(Ordering::Relaxed) < files.len() && first_error.lock().unwrap().is_none() {
            if start.elapsed() > Duration::from_millis(500) {
                show_progress(done.load(Ordering::Relaxed), files.len(), tty, false);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    drop(slots);
    if let Some((_, e)) = first_error.into_inner().unwrap() {
        return Err(e);
    }
    show_progress(files.len(), files.len(), tty, true);
    Ok(ImageSet {
        pixels,
        count: files.len(),
        channels,
        height: size,
        width: size,
        labels,
    })
}

//! IDX files (MNIST, Fashion-MNIST): unsigned-byte images (magic 0x00000803)
//! and labels (0x00000801), raw or gzipped.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::ImageSet;
use crate::error::{Error, Result};

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;

fn data_error(path: &str, reason: impl Into<String>) -> Error {
    Error::Data {
        path: path.to_string(),
        reason: reason.into(),
    }
}

/// The file's bytes, gunzipped when they start with the gzip magic.
pub fn read_maybe_gzipped(path: &Path) -> Result<Vec<u8>> {
    let name = path.display().to_string();
    let raw = std::fs::read(path).map_err(|e| data_error(&name, format!("cannot read: {e}")))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| data_error(&name, format!("corrupt or truncated gzip data: {e}")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn header(bytes: &[u8], name: &str, words: usize, magic: u32, kind: &str) -> Result<Vec<usize>> {
    if bytes.len() < 4 * words {
        return Err(data_error(
            name,
            format!(
                "too short for an IDX {kind} header: expected at least {} bytes, found {}",
                4 * words,
                bytes.len()
            ),
        ));
    }
    let word = |i: usize| u32::from_be_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4 bytes"));
    if word(0) != magic {
        return Err(data_error(
            name,
            format!(
                "wrong magic number: expected {magic:#010x} (IDX {kind}), found {:#010x}",
                word(0)
            ),
        ));
    }
    Ok((1..words).map(|i| word(i) as usize).collect())
}

/// Parses IDX images: (count, rows, cols, pixels).
pub fn parse_images(bytes: &[u8], name: &str) -> Result<(usize, usize, usize, Vec<u8>)> {
    let dims = header(bytes, name, 4, IMAGES_MAGIC, "unsigned-byte images")?;
    let (n, rows, cols) = (dims[0], dims[1], dims[2]);
    let expected = 16 + n * rows * cols;
    if bytes.len() != expected {
        return Err(data_error(
            name,
            format!(
                "{} for {n} images of {rows}×{cols}: expected {expected} bytes, found {}",
                if bytes.len() < expected {
                    "truncated"
                } else {
                    "trailing bytes"
                },
                bytes.len()
            ),
        ));
    }
    if n == 0 || rows == 0 || cols == 0 {
        return Err(data_error(
            name,
            format!("no images: header says {n} images of {rows}×{cols}"),
        ));
    }
    Ok((n, rows, cols, bytes[16..].to_vec()))
}

/// Parses IDX labels.
pub fn parse_labels(bytes: &[u8], name: &str) -> Result<Vec<u8>> {
    let dims = header(bytes, name, 2, LABELS_MAGIC, "unsigned-byte labels")?;
    let expected = 8 + dims[0];
    if bytes.len() != expected {
        return Err(data_error(
            name,
            format!(
                "expected {expected} bytes for {} labels, found {}",
                dims[0],
                bytes.len()
            ),
        ));
    }
    Ok(bytes[8..].to_vec())
}

/// The labels file beside an images file, by MNIST's naming, if present.
fn labels_beside(images: &Path) -> Option<PathBuf> {
    let name = images.file_name()?.to_str()?;
    let labels = name.replace("images-idx3", "labels-idx1");
    (labels != name)
        .then(|| images.with_file_name(labels))
        .filter(|p| p.is_file())
}

/// `idx:PATH`: an images file, or a folder holding `train-images-idx3-ubyte[.gz]`.
pub fn load(path: &Path) -> Result<ImageSet> {
    let images = if path.is_dir() {
        ["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"]
            .iter()
            .map(|f| path.join(f))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                data_error(
                    &path.display().to_string(),
                    "no train-images-idx3-ubyte[.gz] in this folder",
                )
            })?
    } else {
        path.to_path_buf()
    };
    let name = images.display().to_string();
    let (n, rows, cols, pixels) = parse_images(&read_maybe_gzipped(&images)?, &name)?;
    let labels = match labels_beside(&images) {
        Some(p) => {
            let labels = parse_labels(&read_maybe_gzipped(&p)?, &p.display().to_string())?;
            if labels.len() != n {
                return Err(data_error(
                    &p.display().to_string(),
                    format!("{} labels for {n} images in {name}", labels.len()),
                ));
            }
            Some(labels)
        }
        None => None,
    };
    Ok(ImageSet {
        pixels,
        count: n,
        channels: 1,
        height: rows,
        width: cols,
        labels,
    })
}

/// Parses in-memory gzipped IDX images and labels (the embedded data set).
pub fn from_gz_bytes(images: &[u8], labels: &[u8], name: &str) -> Result<ImageSet> {
    let gunzip = |b: &[u8]| -> Result<Vec<u8>> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(b)
            .read_to_end(&mut out)
            .map_err(|e| data_error(name, format!("corrupt gzip data: {e}")))?;
        Ok(out)
    };
    let (n, rows, cols, pixels) = parse_images(&gunzip(images)?, name)?;
    Ok(ImageSet {
        pixels,
        count: n,
        channels: 1,
        height: rows,
        width: cols,
        labels: Some(parse_labels(&gunzip(labels)?, name)?),
    })
}

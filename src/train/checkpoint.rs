//! Checkpoints in safetensors: both networks under PyTorch-style names
//! (`generator.up.0.0.weight`, `critic.head.bias`), batch-norm running
//! statistics, optimizer states (`optimizer_d.head.bias.exp_avg`), and in
//! the metadata the step, the random-draw counter, the data position and
//! the resolved config. Everything a resumed run needs to continue
//! bit-for-bit where it stopped.
//!
//! Files are written to a temporary name, synced and renamed, so a crash or
//! a full disk never leaves a damaged checkpoint under the real name.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use super::config::TrainConfig;
use crate::error::{Error, Result};
use crate::gpu::{Gpu, Tensor};

/// Written into every checkpoint; a file without it is refused.
pub const FORMAT: &str = "gpugan-checkpoint-1";
const CHECKPOINT_DIR: &str = "checkpoints";

fn file_error(path: &Path, reason: impl Into<String>) -> Error {
    Error::Data {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// Writes `bytes` to `path` through `path.tmp`: written, synced, renamed,
/// and the folder synced, so `path` is either the old file or the new one.
pub fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    };
    if let Err(e) = write() {
        let _ = fs::remove_file(&tmp);
        return Err(file_error(&tmp, format!("cannot write: {e}")));
    }
    fs::rename(&tmp, path)
        .map_err(|e| file_error(path, format!("cannot rename into place: {e}")))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Directory fsync makes the rename durable; not every platform allows it.
        let _ = fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

/// Serialises named GPU tensors and `metadata` into safetensors bytes.
pub fn to_bytes(
    gpu: &Gpu,
    tensors: &[(String, Tensor)],
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>> {
    let host: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, t)| {
            let values = gpu.read(t)?;
            Ok((
                name.clone(),
                t.shape().to_vec(),
                bytemuck::cast_slice(&values).to_vec(),
            ))
        })
        .collect::<Result<_>>()?;
    let views = host
        .iter()
        .map(|(name, shape, bytes)| {
            TensorView::new(Dtype::F32, shape.clone(), bytes).map(|v| (name.as_str(), v))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Invalid {
            op: "checkpoint",
            reason: e.to_string(),
        })?;
    safetensors::serialize(views, Some(metadata)).map_err(|e| Error::Invalid {
        op: "checkpoint",
        reason: e.to_string(),
    })
}

/// A checkpoint read from disk and checked to be a gpugan checkpoint.
pub struct Checkpoint {
    pub path: PathBuf,
    bytes: Vec<u8>,
    pub metadata: HashMap<String, String>,
}

impl Checkpoint {
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = fs::read(path).map_err(|e| file_error(path, format!("cannot read: {e}")))?;
        let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| {
            file_error(
                path,
                format!("not a readable safetensors file (truncated or corrupt?): {e:?}"),
            )
        })?;
        // deserialize also checks that every tensor lies inside the file.
        SafeTensors::deserialize(&bytes).map_err(|e| {
            file_error(
                path,
                format!("not a readable safetensors file (truncated or corrupt?): {e:?}"),
            )
        })?;
        let metadata = header.metadata().clone().unwrap_or_default();
        if metadata.get("format").map(String::as_str) != Some(FORMAT) {
            return Err(file_error(
                path,
                format!("not a gpugan checkpoint (no format = {FORMAT} in its metadata)"),
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            bytes,
            metadata,
        })
    }

    pub fn meta(&self, key: &str) -> Result<&str> {
        self.metadata
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| file_error(&self.path, format!("metadata has no '{key}'")))
    }

    pub fn meta_u64(&self, key: &str) -> Result<u64> {
        let v = self.meta(key)?;
        v.parse().map_err(|_| {
            file_error(
                &self.path,
                format!("metadata '{key}' = '{v}' is not a count"),
            )
        })
    }

    /// The run's resolved configuration.
    pub fn config(&self) -> Result<TrainConfig> {
        TrainConfig::from_toml(self.meta("config")?, &self.path.display().to_string())
    }

    /// Names and shapes stored in the file.
    pub fn shapes(&self) -> Result<Vec<(String, Vec<usize>)>> {
        let st = SafeTensors::deserialize(&self.bytes)
            .map_err(|e| file_error(&self.path, format!("{e:?}")))?;
        let mut v: Vec<_> = st
            .tensors()
            .into_iter()
            .map(|(n, t)| (n, t.shape().to_vec()))
            .collect();
        v.sort();
        Ok(v)
    }

    /// One tensor's values, checked to be f32 with `shape`.
    pub fn values(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let st = SafeTensors::deserialize(&self.bytes)
            .map_err(|e| file_error(&self.path, format!("{e:?}")))?;
        let view = st.tensor(name).map_err(|_| {
            file_error(
                &self.path,
                format!("has no tensor '{name}': it was saved from another architecture or configuration"),
            )
        })?;
        if view.dtype() != Dtype::F32 || view.shape() != shape {
            return Err(file_error(
                &self.path,
                format!(
                    "tensor '{name}' is {:?} {:?}, this model expects F32 {shape:?} (another architecture?)",
                    view.dtype(),
                    view.shape()
                ),
            ));
        }
        Ok(view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect())
    }

    /// Loads every tensor of `into` by name; the file must hold exactly
    /// these names (an extra or missing one means another architecture).
    pub fn restore(&self, gpu: &Gpu, into: &[(String, Tensor)]) -> Result<()> {
        let stored = self.shapes()?;
        let mut wanted: Vec<&str> = into.iter().map(|(n, _)| n.as_str()).collect();
        wanted.sort();
        if let Some((extra, _)) = stored
            .iter()
            .find(|(n, _)| wanted.binary_search(&n.as_str()).is_err())
        {
            return Err(file_error(
                &self.path,
                format!(
                    "holds tensor '{extra}', which this model does not have (another architecture or configuration?)"
                ),
            ));
        }
        for (name, t) in into {
            gpu.write(t, &self.values(name, t.shape())?)?;
        }
        Ok(())
    }
}

/// `RUN_DIR/checkpoints/step_000100.safetensors`.
pub fn path_for(run_dir: &Path, step: u64) -> PathBuf {
    run_dir
        .join(CHECKPOINT_DIR)
        .join(format!("step_{step:06}.safetensors"))
}

/// The checkpoints of a run folder, oldest first (by step).
pub fn list(run_dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let dir = run_dir.join(CHECKPOINT_DIR);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(file_error(&dir, format!("cannot list: {e}"))),
    };
    let mut found: Vec<(u64, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            let step = name.strip_prefix("step_")?.strip_suffix(".safetensors")?;
            Some((step.parse().ok()?, p))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// The newest checkpoint of a run folder.
pub fn latest(run_dir: &Path) -> Result<PathBuf> {
    list(run_dir)?.pop().map(|(_, p)| p).ok_or_else(|| {
        file_error(
            run_dir,
            format!("no checkpoints in {}/ to resume from", CHECKPOINT_DIR),
        )
    })
}

/// Deletes all but the newest `keep` checkpoints.
pub fn prune(run_dir: &Path, keep: usize) -> Result<()> {
    let all = list(run_dir)?;
    for (_, old) in all.iter().take(all.len().saturating_sub(keep)) {
        fs::remove_file(old).map_err(|e| file_error(old, format!("cannot delete: {e}")))?;
    }
    Ok(())
}

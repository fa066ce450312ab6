//! An image set resident on the GPU as bytes, served in batches by a gather
//! kernel from a seeded permutation per epoch.

use super::ImageSet;
use crate::error::Result;
use crate::gpu::kernels::data::{
    gather_images_into, gather_onehot_into, upload_bytes, upload_u32, write_u32,
};
use crate::gpu::{Gpu, Tensor};

pub struct GpuImages {
    bytes: Tensor,
    order: Tensor,
    /// One u32 label per image, when the set has labels.
    labels: Option<Tensor>,
    /// Labels run over 0..classes (0 without labels).
    pub classes: usize,
    pub count: usize,
    /// [C, H, W] of one image.
    pub image_shape: [usize; 3],
    seed: u64,
    /// Epochs started and images served in the current one: the position a
    /// resumed run continues from.
    pub epoch: u64,
    pub position: usize,
}

/// splitmix64 step: a small, seedable generator for the epoch permutation.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Fisher–Yates permutation of 0..n from (seed, epoch).
pub fn epoch_permutation(n: usize, seed: u64, epoch: u64) -> Vec<u32> {
    let mut state = seed ^ epoch.wrapping_mul(0xA076_1D64_78BD_642F);
    let mut order: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let j = (splitmix(&mut state) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

impl GpuImages {
    pub fn new(gpu: &Gpu, set: &ImageSet, seed: u64) -> Result<Self> {
        let labels: Option<Vec<u32>> = set
            .labels
            .as_ref()
            .map(|l| l.iter().map(|&c| u32::from(c)).collect());
        Ok(Self {
            classes: labels
                .as_ref()
                .map_or(0, |l| l.iter().max().map_or(0, |&m| m as usize + 1)),
            labels: labels.map(|l| upload_u32(gpu, &l)).transpose()?,
            bytes: upload_bytes(gpu, &set.pixels)?,
            order: upload_u32(gpu, &epoch_permutation(set.count, seed, 0))?,
            count: set.count,
            image_shape: [set.channels, set.height, set.width],
            seed,
            epoch: 0,
            position: 0,
        })
    }

    /// Continues from `position` in `epoch` (a resumed run).
    pub fn seek(&mut self, gpu: &Gpu, epoch: u64, position: usize) -> Result<()> {
        self.start_epoch(gpu, epoch)?;
        self.position = position.min(self.count);
        Ok(())
    }

    /// Writes `epoch`'s permutation over the previous one, in the same
    /// buffer: a new one would be an allocation after warm-up, and would
    /// shift which pooled buffers later tensors get, so that dozens of
    /// dispatches needed new bind groups at each epoch.
    fn start_epoch(&mut self, gpu: &Gpu, epoch: u64) -> Result<()> {
        write_u32(
            gpu,
            &self.order,
            &epoch_permutation(self.count, self.seed, epoch),
        )?;
        (self.epoch, self.position) = (epoch, 0);
        Ok(())
    }

    /// The next `batch` images as [batch, C, H, W] in [−1, 1], and with
    /// `labelled` their classes as one-hot rows [batch, classes]. A batch never
    /// straddles epochs: the tail of an epoch shorter than a batch is skipped.
    pub fn next_batch(
        &mut self,
        gpu: &Gpu,
        batch: usize,
        labelled: bool,
    ) -> Result<(Tensor, Option<Tensor>)> {
        if self.position + batch > self.count {
            self.start_epoch(gpu, self.epoch + 1)?;
        }
        let [c, h, w] = self.image_shape;
        let out = gpu.empty(&[batch, c, h, w])?;
        gather_images_into(
            gpu,
            &self.bytes,
            &self.order,
            self.position,
            c * h * w,
            &out,
        )?;
        let onehot = match (&self.labels, labelled) {
            (Some(labels), true) => {
                let onehot = gpu.empty(&[batch, self.classes])?;
                gather_onehot_into(gpu, labels, &self.order, self.position, &onehot)?;
                Some(onehot)
            }
            _ => None,
        };
        self.position += batch;
        Ok((out, onehot))
    }
}

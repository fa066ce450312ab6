//! Data sets: 2-D toy distributions (drawn on the GPU), IDX files, folders
//! of images and the embedded Fashion-MNIST subset; image sets live on the
//! GPU as bytes.

pub mod folder;
pub mod gpu_images;
pub mod idx;

/// Images as bytes, NCHW, with optional class labels.
#[derive(Clone, Debug)]
pub struct ImageSet {
    pub pixels: Vec<u8>,
    pub count: usize,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub labels: Option<Vec<u8>>,
}

impl ImageSet {
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }
}

/// 6,000 Fashion-MNIST training images and labels (MIT licence; see
/// assets/README.md), so the default run needs no download.
pub fn embedded() -> crate::Result<ImageSet> {
    idx::from_gz_bytes(
        include_bytes!("../../assets/fashion-mnist-6k-images-idx3-ubyte.gz"),
        include_bytes!("../../assets/fashion-mnist-6k-labels-idx1-ubyte.gz"),
        "embedded Fashion-MNIST",
    )
}

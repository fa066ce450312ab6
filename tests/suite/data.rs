//! Image data: IDX parsing and its errors, the embedded set, the gather
//! kernel against its twin, DCGAN shapes and a short DCGAN run.

use std::io::Write;

use gpugan::data::gpu_images::epoch_permutation;
use gpugan::data::{embedded, idx};
use gpugan::gpu::kernels::data::{
    gather_images_into, gather_onehot_into, onehot_from_uniform, upload_bytes, upload_u32,
};

use crate::common::{Rng, assert_close, gpu, idx_images, poisoned, read, temp_dir, upload};

fn error_of(path: &std::path::Path) -> String {
    idx::load(path).expect_err("should fail").to_string()
}

#[test]
fn idx_round_trip_raw_and_gzipped_with_labels() {
    let dir = temp_dir("data-ok");
    let images = idx_images(5, 3, 4);
    std::fs::write(dir.join("train-images-idx3-ubyte"), &images).unwrap();
    let mut labels = vec![0, 0, 8, 1, 0, 0, 0, 5];
    labels.extend([1, 2, 3, 4, 5]);
    std::fs::write(dir.join("train-labels-idx1-ubyte"), &labels).unwrap();
    let set = idx::load(&dir).unwrap();
    assert_eq!(
        (set.count, set.channels, set.height, set.width),
        (5, 1, 3, 4)
    );
    assert_eq!(set.pixels, images[16..]);
    assert_eq!(set.labels.as_deref(), Some(&[1, 2, 3, 4, 5][..]));

    let gz = dir.join("other-images-idx3-ubyte.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&images).unwrap();
    enc.finish().unwrap();
    let set = idx::load(&gz).unwrap();
    assert_eq!(set.pixels, images[16..]);
    assert!(set.labels.is_none());
}

#[test]
fn malformed_idx_files_are_named_with_the_problem() {
    let dir = temp_dir("data-bad");
    let images = idx_images(4, 28, 28);

    let truncated = dir.join("truncated-images-idx3-ubyte");
    std::fs::write(&truncated, &images[..images.len() - 100]).unwrap();
    let msg = error_of(&truncated);
    assert!(
        msg.contains("truncated-images-idx3-ubyte")
            && msg.contains("truncated")
            && msg.contains("3152"),
        "{msg}"
    );

    let mut wrong = images.clone();
    wrong[3] = 0x01;
    let wrong_magic = dir.join("magic-images-idx3-ubyte");
    std::fs::write(&wrong_magic, &wrong).unwrap();
    let msg = error_of(&wrong_magic);
    assert!(
        msg.contains("magic-images-idx3-ubyte")
            && msg.contains("0x00000803")
            && msg.contains("0x00000801"),
        "{msg}"
    );

    let tiny = dir.join("tiny-images-idx3-ubyte");
    std::fs::write(&tiny, [0, 0, 8]).unwrap();
    assert!(error_of(&tiny).contains("header"));

    let corrupt_gz = dir.join("corrupt-images-idx3-ubyte.gz");
    std::fs::write(&corrupt_gz, [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
    assert!(error_of(&corrupt_gz).contains("gzip"));

    let missing = dir.join("missing-images-idx3-ubyte");
    let msg = error_of(&missing);
    assert!(
        msg.contains("missing-images-idx3-ubyte") && msg.contains("cannot read"),
        "{msg}"
    );

    let empty = temp_dir("data-empty");
    let msg = error_of(&empty);
    assert!(msg.contains("train-images-idx3-ubyte"), "{msg}");
}

#[test]
fn embedded_set_is_fashion_mnist() {
    let set = embedded().unwrap();
    assert_eq!(
        (set.count, set.channels, set.height, set.width),
        (6000, 1, 28, 28)
    );
    let labels = set.labels.unwrap();
    assert!(
        (0..10u8).all(|c| labels.contains(&c)),
        "all ten classes present"
    );
    // Fashion-MNIST's first training image is an ankle boot (class 9).
    assert_eq!(labels[0], 9);
}

#[test]
fn gather_matches_twin_across_the_permutation() {
    let mut rng = Rng::new(140);
    let (count, len) = (13, 17);
    let pixels: Vec<u8> = (0..count * len)
        .map(|_| (rng.next_u64() % 256) as u8)
        .collect();
    let order = epoch_permutation(count, 7, 1);
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        (0..count as u32).collect::<Vec<_>>(),
        "a permutation"
    );
    let (bytes, order_t) = (
        upload_bytes(gpu(), &pixels).unwrap(),
        upload_u32(gpu(), &order).unwrap(),
    );
    for (offset, batch) in [(0, 5), (9, 6), (12, 1)] {
        let out = poisoned(&[batch, 1, 1, len]);
        gather_images_into(gpu(), &bytes, &order_t, offset, len, &out).unwrap();
        let want: Vec<f64> = (0..batch * len)
            .map(|i| {
                let image = order[(offset + i / len) % count] as usize;
                f64::from(pixels[image * len + i % len]) / 127.5 - 1.0
            })
            .collect();
        assert_close(
            &format!("gather offset {offset} batch {batch}"),
            &read(&out),
            &want,
            1e-7,
        );
    }
}

#[test]
fn batches_follow_each_epochs_permutation() {
    use gpugan::data::ImageSet;
    use gpugan::data::gpu_images::GpuImages;
    let mut rng = Rng::new(142);
    let (count, len, batch, seed) = (7, 5, 3, 11);
    let set = ImageSet {
        pixels: (0..count * len)
            .map(|_| (rng.next_u64() % 256) as u8)
            .collect(),
        count,
        channels: 1,
        height: 1,
        width: len,
        labels: Some((0..count as u8).collect()),
    };
    let mut images = GpuImages::new(gpu(), &set, seed).unwrap();
    // Two full batches per epoch (the seventh image is skipped), so batches
    // 2 and 4 start epochs 1 and 2. All six are gathered before any is
    // read: a new permutation must not reach the gathers recorded before it.
    let batches: Vec<_> = (0..6)
        .map(|_| {
            let (out, onehot) = images.next_batch(gpu(), batch, true).unwrap();
            (out, onehot.unwrap(), images.epoch, images.position)
        })
        .collect();
    for (step, (out, onehot, epoch, position)) in batches.iter().enumerate() {
        let offset = 3 * (step % 2);
        assert_eq!((*epoch, *position), ((step / 2) as u64, offset + batch));
        let order = epoch_permutation(count, seed, *epoch);
        let image = |i: usize| order[offset + i] as usize;
        let want: Vec<f64> = (0..batch * len)
            .map(|i| f64::from(set.pixels[image(i / len) * len + i % len]) / 127.5 - 1.0)
            .collect();
        assert_close(&format!("batch {step}"), &read(out), &want, 1e-7);
        let want: Vec<f64> = (0..batch * count)
            .map(|i| f64::from(u8::from(image(i / count) == i % count)))
            .collect();
        assert_close(&format!("labels {step}"), &read(onehot), &want, 0.0);
    }
}

#[test]
fn onehot_labels_match_twin() {
    let mut rng = Rng::new(141);
    let (count, classes) = (11, 7);
    let labels: Vec<u32> = (0..count)
        .map(|_| (rng.next_u64() % classes as u64) as u32)
        .collect();
    let order = epoch_permutation(count, 3, 2);
    let (labels_t, order_t) = (
        upload_u32(gpu(), &labels).unwrap(),
        upload_u32(gpu(), &order).unwrap(),
    );
    for (offset, batch) in [(0, 4), (8, 5), (10, 1)] {
        let out = poisoned(&[batch, classes]);
        gather_onehot_into(gpu(), &labels_t, &order_t, offset, &out).unwrap();
        let want: Vec<f64> = (0..batch * classes)
            .map(|i| {
                let image = order[(offset + i / classes) % count] as usize;
                f64::from(u8::from(labels[image] as usize == i % classes))
            })
            .collect();
        assert_close(&format!("onehot offset {offset}"), &read(&out), &want, 0.0);
    }
    // From uniforms, including the edges 0 and just below 1.
    let mut u = rng
        .vec(37)
        .iter()
        .map(|v| v.abs().min(0.999_999))
        .collect::<Vec<_>>();
    u[0] = 0.0;
    u[1] = 0.999_999;
    let out = onehot_from_uniform(gpu(), &upload(&u, &[37]), 8).unwrap();
    let want: Vec<f64> = (0..37 * 8)
        .map(|i| {
            let k = ((u[i / 8] * 8.0) as usize).min(7);
            f64::from(u8::from(k == i % 8))
        })
        .collect();
    assert_close("onehot from uniform", &read(&out), &want, 0.0);
}

//! `folder:` data: centre crop, resize, channel conversion, class
//! sub-folders as labels, and errors that name the file.

use std::path::Path;

use gpugan::data::folder;

use crate::common::temp_dir;

/// A w×h RGB image whose middle square is (r, g, b) and whose margins are black.
fn framed(path: &Path, w: u32, h: u32, rgb: [u8; 3]) {
    let side = w.min(h);
    let (x0, y0) = ((w - side) / 2, (h - side) / 2);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let inside = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
        image::Rgb(if inside { rgb } else { [0, 0, 0] })
    });
    img.save(path).unwrap();
}

#[test]
fn images_of_any_size_are_cropped_resized_and_channel_major() {
    let dir = temp_dir("folder-crop");
    // Wide, tall and square images, png and jpg: the centre square is one
    // colour, so after the crop every pixel is that colour (jpg up to its loss).
    framed(&dir.join("a.png"), 60, 30, [200, 100, 50]);
    framed(&dir.join("b.PNG"), 17, 41, [10, 250, 90]);
    framed(&dir.join("c.jpg"), 64, 64, [128, 128, 128]);
    std::fs::write(dir.join("notes.txt"), "not an image").unwrap();
    let set = folder::load(&dir, 28, 3).unwrap();
    assert_eq!(
        (set.count, set.channels, set.height, set.width),
        (3, 3, 28, 28)
    );
    assert!(set.labels.is_none());
    let plane = 28 * 28;
    let image = |i: usize| &set.pixels[i * 3 * plane..(i + 1) * 3 * plane];
    for (i, rgb, tol) in [
        (0, [200, 100, 50], 0),
        (1, [10, 250, 90], 0),
        (2, [128, 128, 128], 3),
    ] {
        for (c, &want) in rgb.iter().enumerate() {
            let channel = &image(i)[c * plane..(c + 1) * plane];
            let worst = channel
                .iter()
                .map(|&v| (i32::from(v) - want).abs())
                .max()
                .unwrap();
            assert!(worst <= tol, "image {i} channel {c}: off by {worst}");
        }
    }
    let grey = folder::load(&dir, 64, 1).unwrap();
    assert_eq!(
        (grey.channels, grey.height, grey.pixels.len()),
        (1, 64, 3 * 64 * 64)
    );
    // Luma of (200, 100, 50) by Rec. 709 weights: 0.2126·200 + 0.7152·100 + 0.0722·50 ≈ 117.
    assert!(
        (grey.pixels[0] as i32 - 117).abs() <= 1,
        "luma {}",
        grey.pixels[0]
    );
}

#[test]
fn class_sub_folders_become_labels() {
    let dir = temp_dir("folder-classes");
    for (class, count) in [("cat", 2), ("dog", 3), ("empty", 0)] {
        std::fs::create_dir_all(dir.join(class)).unwrap();
        for i in 0..count {
            framed(
                &dir.join(class).join(format!("{i}.png")),
                9,
                9,
                [i * 40, 0, 0],
            );
        }
    }
    let set = folder::load(&dir, 28, 1).unwrap();
    assert_eq!(set.count, 5);
    assert_eq!(set.labels.as_deref(), Some(&[0, 0, 1, 1, 1][..]));
}

#[test]
fn bad_folders_and_files_name_the_path_and_the_problem() {
    let empty = temp_dir("folder-empty");
    let e = folder::load(&empty, 28, 1).unwrap_err().to_string();
    assert!(
        e.contains(&empty.display().to_string()) && e.contains("no .png"),
        "{e}"
    );

    let missing = empty.join("nowhere");
    let e = folder::load(&missing, 28, 1).unwrap_err().to_string();
    assert!(e.contains("nowhere") && e.contains("not a folder"), "{e}");

    let dir = temp_dir("folder-broken");
    framed(&dir.join("good.png"), 8, 8, [1, 2, 3]);
    std::fs::write(dir.join("broken.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let e = folder::load(&dir, 28, 1).unwrap_err().to_string();
    assert!(
        e.contains("broken.png") && e.contains("cannot decode"),
        "{e}"
    );

    let e = folder::load(&dir, 28, 2).unwrap_err().to_string();
    assert!(e.contains("--channels"), "{e}");
}

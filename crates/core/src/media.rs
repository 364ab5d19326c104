//! The images of a post, without I/O: what an image is (its format and size, read from its
//! first bytes by `imagesize`), and whether each platform takes it — how many, which formats,
//! how heavy, how long a description, which shapes — so that a post is refused when it is
//! written, not at its publishing minute.

use crate::Platform;
use crate::post::PostError;

/// The image formats Palabre reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Gif,
    Webp,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Gif => "image/gif",
            Format::Webp => "image/webp",
        }
    }

    /// From a stored `image/…` content type.
    pub fn from_content_type(raw: &str) -> Option<Format> {
        Some(match raw {
            "image/jpeg" => Format::Jpeg,
            "image/png" => Format::Png,
            "image/gif" => Format::Gif,
            "image/webp" => Format::Webp,
            _ => return None,
        })
    }

    /// Its name for people.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Gif => "GIF",
            Format::Webp => "WebP",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Gif => "gif",
            Format::Webp => "webp",
        }
    }
}

/// What Palabre knows of an image: read from its bytes, never from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Image {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    /// Its size in bytes.
    pub size: usize,
}

/// An image as a post carries it: what it is, and its description.
#[derive(Debug, Clone, Copy)]
pub struct Attached<'a> {
    pub image: Image,
    pub alt: &'a str,
}

/// Reads an image's format and dimensions (image `number`, from 1, names it in the error).
pub fn read(bytes: &[u8], number: usize) -> Result<Image, PostError> {
    use imagesize::ImageType;
    let unreadable = || PostError::ImageUnreadable(number);
    let format = match imagesize::image_type(bytes).map_err(|_| unreadable())? {
        ImageType::Jpeg => Format::Jpeg,
        ImageType::Png => Format::Png,
        ImageType::Gif => Format::Gif,
        ImageType::Webp => Format::Webp,
        _ => return Err(unreadable()),
    };
    let size = imagesize::blob_size(bytes).map_err(|_| unreadable())?;
    let (Ok(width), Ok(height)) = (u32::try_from(size.width), u32::try_from(size.height)) else {
        return Err(unreadable());
    };
    if width == 0 || height == 0 {
        return Err(unreadable());
    }
    Ok(Image {
        format,
        width,
        height,
        size: bytes.len(),
    })
}

/// What a platform takes in one post.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// Images in one post.
    pub max_images: usize,
    pub max_bytes: usize,
    pub formats: &'static [Format],
    /// The longest description, in characters.
    pub max_alt: usize,
    /// Width ÷ height allowed, when the platform crops nothing.
    pub ratio: Option<(f64, f64)>,
    /// A post without an image is refused (Instagram).
    pub image_required: bool,
    /// The platform fetches images from a public address instead of taking them uploaded.
    pub by_address: bool,
}

const ALL: &[Format] = &[Format::Jpeg, Format::Png, Format::Gif, Format::Webp];
const MB: usize = 1024 * 1024;

/// The rules each platform publishes for images in a post (X: 4 images of 5 MB; Mastodon: 4 of
/// 16 MB, its default; Bluesky: 4 of 1,000,000 bytes, the post lexicon's limit; a Facebook
/// Page: 4 MB a photo; Instagram: JPEG only, 8 MB, 10 in a carousel, from 4:5 to 1.91:1).
pub fn rules(platform: Platform) -> Rules {
    let (max_images, max_bytes, formats, max_alt): (usize, usize, &'static [Format], usize) =
        match platform {
            Platform::X => (4, 5 * MB, ALL, 1000),
            Platform::Mastodon => (4, 16 * MB, ALL, 1500),
            Platform::Bluesky => (4, 1_000_000, ALL, 2000),
            Platform::Messenger => (10, 4 * MB, ALL, 1000),
            Platform::Instagram => (10, 8 * MB, &[Format::Jpeg], 1000),
            _ => (0, 0, &[], 0),
        };
    Rules {
        max_images,
        max_bytes,
        formats,
        max_alt,
        ratio: (platform == Platform::Instagram).then_some((0.8, 1.91)),
        image_required: platform == Platform::Instagram,
        by_address: platform == Platform::Instagram,
    }
}

/// Checks a post's images against `platform`'s rules; `public_address`: Palabre can give the
/// platform an address to fetch them from (`[publishing] media_url`).
pub fn check(
    platform: Platform,
    images: &[Attached<'_>],
    public_address: bool,
) -> Result<(), PostError> {
    let rules = rules(platform);
    if images.is_empty() {
        return if rules.image_required {
            Err(PostError::ImageNeeded(platform))
        } else {
            Ok(())
        };
    }
    if images.len() > rules.max_images {
        return Err(PostError::TooManyImages {
            platform,
            count: images.len(),
            max: rules.max_images,
        });
    }
    if rules.by_address && !public_address {
        return Err(PostError::NoMediaUrl(platform));
    }
    for (i, attached) in images.iter().enumerate() {
        let number = i + 1;
        let image = attached.image;
        if !rules.formats.contains(&image.format) {
            return Err(PostError::ImageFormat {
                number,
                platform,
                format: image.format.name(),
                accepted: rules
                    .formats
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if image.size > rules.max_bytes {
            return Err(PostError::ImageTooBig {
                number,
                platform,
                size: human_size(image.size),
                max: human_size(rules.max_bytes),
            });
        }
        let alt = attached.alt.trim().chars().count();
        if alt > rules.max_alt {
            return Err(PostError::AltTooLong {
                number,
                platform,
                length: alt,
                max: rules.max_alt,
            });
        }
        if let Some((low, high)) = rules.ratio {
            let ratio = f64::from(image.width) / f64::from(image.height);
            if !(low - 0.005..=high + 0.005).contains(&ratio) {
                return Err(PostError::ImageShape {
                    number,
                    platform,
                    width: image.width,
                    height: image.height,
                });
            }
        }
    }
    Ok(())
}

/// `1.4 MB`, `976 KB`, `512 bytes` (1 MB = 1,048,576 bytes; Bluesky's 1,000,000 reads 977 KB).
pub fn human_size(bytes: usize) -> String {
    if bytes >= MB {
        let tenths = (bytes * 10).div_ceil(MB);
        format!("{}.{} MB", tenths / 10, tenths % 10)
    } else if bytes >= 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The head of a PNG (signature and IHDR): all that is read of it.
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    /// The head of a baseline JPEG (start of image, start of frame).
    fn jpeg(width: u16, height: u16) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
        b
    }

    fn attached(image: Image) -> Attached<'static> {
        Attached { image, alt: "" }
    }

    #[test]
    fn format_and_size_come_from_the_bytes_not_the_name() {
        let image = read(&png(1200, 675), 1).unwrap();
        assert_eq!(
            (image.format, image.width, image.height),
            (Format::Png, 1200, 675)
        );
        let image = read(&jpeg(1080, 1350), 1).unwrap();
        assert_eq!(
            (image.format, image.width, image.height),
            (Format::Jpeg, 1080, 1350)
        );
        assert_eq!(
            read(b"GIF? no, a text file", 3),
            Err(PostError::ImageUnreadable(3))
        );
    }

    #[test]
    fn each_platform_refuses_what_it_would_refuse_with_the_image_named() {
        let small = read(&png(800, 800), 1).unwrap();
        let heavy = Image {
            size: 1_200_000,
            ..small
        };
        check(Platform::X, &[attached(heavy)], false).unwrap();
        let err = check(
            Platform::Bluesky,
            &[attached(small), attached(heavy)],
            false,
        )
        .unwrap_err();
        assert_eq!(
            err,
            PostError::ImageTooBig {
                number: 2,
                platform: Platform::Bluesky,
                size: "1.2 MB".into(),
                max: "977 KB".into()
            }
        );
        assert!(err.to_string().contains("image 2"), "{err}");
        assert!(err.in_french().contains("image 2"), "{}", err.in_french());
        let five = [attached(small); 5];
        assert!(matches!(
            check(Platform::Mastodon, &five, false),
            Err(PostError::TooManyImages { max: 4, .. })
        ));
        assert!(matches!(
            check(Platform::Google, &[attached(small)], false),
            Err(PostError::TooManyImages { max: 0, .. })
        ));
    }

    #[test]
    fn instagram_wants_a_jpeg_of_its_shape_at_an_address() {
        let square = read(&jpeg(1080, 1080), 1).unwrap();
        let tall = read(&jpeg(1080, 1920), 1).unwrap();
        let drawing = read(&png(1080, 1080), 1).unwrap();
        assert_eq!(
            check(Platform::Instagram, &[], true),
            Err(PostError::ImageNeeded(Platform::Instagram))
        );
        assert_eq!(
            check(Platform::Instagram, &[attached(square)], false),
            Err(PostError::NoMediaUrl(Platform::Instagram))
        );
        check(Platform::Instagram, &[attached(square)], true).unwrap();
        assert!(matches!(
            check(Platform::Instagram, &[attached(tall)], true),
            Err(PostError::ImageShape { number: 1, .. })
        ));
        assert!(matches!(
            check(Platform::Instagram, &[attached(drawing)], true),
            Err(PostError::ImageFormat { accepted, .. }) if accepted == "JPEG"
        ));
        // The other platforms take a text alone.
        check(Platform::Messenger, &[], false).unwrap();
    }

    #[test]
    fn a_description_longer_than_the_platform_takes_is_refused() {
        let small = read(&png(10, 10), 1).unwrap();
        let long = "a".repeat(1001);
        let err = check(
            Platform::X,
            &[Attached {
                image: small,
                alt: &long,
            }],
            false,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            PostError::AltTooLong {
                length: 1001,
                max: 1000,
                ..
            }
        ));
    }
}

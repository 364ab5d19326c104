//! The images of a scheduled post: added, described and removed while the post can change
//! (each change is a new version, approved again, as a new text is), checked against the
//! platform's rules (`palabre_core::media`) in the same transaction, read back by the outbox
//! when the post goes out, and served at their public address (`/media/TOKEN`) only while
//! their post is publishing or published.

use super::Workspace;
use super::db::{Conn, P, Row};
use super::posts::{PostRefusal, PostResult, PostStatus, load, load_editable, new_version};
use super::{audit, now_ms};
use crate::StoreError;
use palabre_core::Platform;
use palabre_core::media::{self, Attached, Format, Image};

/// One image of a post, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostImage {
    /// From 1, in the order the post shows them.
    pub position: i64,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
    /// In bytes.
    pub size: i64,
    /// Its description for people who cannot see it.
    pub alt: String,
    /// Names its public address (`/media/TOKEN.EXT`), served once the post is publishing.
    #[serde(skip)]
    pub token: String,
}

impl PostImage {
    /// The file name of its public address (`TOKEN.jpg`).
    pub fn public_name(&self) -> String {
        let extension =
            Format::from_content_type(&self.content_type).map_or("bin", Format::extension);
        format!("{}.{extension}", self.token)
    }

    fn as_image(&self) -> Option<Image> {
        Some(Image {
            format: Format::from_content_type(&self.content_type)?,
            width: u32::try_from(self.width).ok()?,
            height: u32::try_from(self.height).ok()?,
            size: usize::try_from(self.size).ok()?,
        })
    }
}

/// An image to add to a post.
#[derive(Debug, Clone, Copy)]
pub struct NewImage<'a> {
    pub bytes: &'a [u8],
    pub alt: &'a str,
    /// Names its public address: unguessable (the caller draws it at random).
    pub token: &'a str,
    /// Palabre has a public address the platform can fetch images from (`[publishing]
    /// media_url`): Instagram needs one.
    pub public_address: bool,
}

const COLUMNS: &str = "position, content_type, width, height, size, alt, token";

fn image(r: &Row) -> Result<PostImage, StoreError> {
    Ok(PostImage {
        position: r.int(0)?,
        content_type: r.text(1)?,
        width: r.int(2)?,
        height: r.int(3)?,
        size: r.int(4)?,
        alt: r.text(5)?,
        token: r.text(6)?,
    })
}

pub(crate) fn images(c: &mut Conn, post_id: &str) -> Result<Vec<PostImage>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM post_media WHERE post_id = $1 ORDER BY position");
    c.query(&sql, &[post_id.into()])?
        .iter()
        .map(image)
        .collect()
}

/// Checks `all` (a post's images as they would be) against the platform's rules.
fn check(
    platform: &str,
    all: &[(Image, String)],
    public_address: bool,
) -> Result<Result<(), PostRefusal>, StoreError> {
    let platform: Platform = platform
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("post platform `{platform}`")))?;
    let attached: Vec<Attached<'_>> = all
        .iter()
        .map(|(image, alt)| Attached { image: *image, alt })
        .collect();
    Ok(media::check(platform, &attached, public_address).map_err(PostRefusal::Image))
}

/// The images already there, as the rules read them.
fn current(c: &mut Conn, post_id: &str) -> Result<Vec<(Image, String)>, StoreError> {
    images(c, post_id)?
        .into_iter()
        .map(|i| {
            let read = i.as_image().ok_or_else(|| {
                StoreError::Corrupt(format!("image {} of post {post_id}", i.position))
            })?;
            Ok((read, i.alt))
        })
        .collect()
}

/// After a change of its images: a new version, and the post back on its way to approval.
fn bump(c: &mut Conn, id: &str, status: PostStatus) -> Result<(), StoreError> {
    c.exec(
        "UPDATE posts SET version = version + 1, status = $1, note = NULL, updated_ms = $2
         WHERE id = $3",
        &[
            new_version(status).as_str().into(),
            now_ms().into(),
            id.into(),
        ],
    )?;
    Ok(())
}

impl Workspace {
    /// Adds an image after the post's others, as `actor`: refused when the bytes are not an
    /// image or the platform would not take it; a new version otherwise.
    pub fn add_post_image(
        &mut self,
        id: &str,
        new: &NewImage<'_>,
        actor: &str,
    ) -> Result<PostResult, StoreError> {
        self.conn.transaction(|c| {
            let p = match load_editable(c, id)? {
                Ok(p) => p,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let mut all = current(c, id)?;
            let read = match media::read(new.bytes, all.len() + 1) {
                Ok(read) => read,
                Err(e) => return Ok(Err(PostRefusal::Image(e))),
            };
            all.push((read, new.alt.trim().to_owned()));
            if let Err(refusal) = check(&p.platform, &all, new.public_address)? {
                return Ok(Err(refusal));
            }
            c.exec(
                "INSERT INTO post_media (post_id, position, content_type, width, height, size, alt,
                                         token, bytes, created_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    id.into(),
                    (all.len() as i64).into(),
                    read.format.content_type().into(),
                    i64::from(read.width).into(),
                    i64::from(read.height).into(),
                    (read.size as i64).into(),
                    new.alt.trim().into(),
                    new.token.into(),
                    P::Bytes(new.bytes),
                    now_ms().into(),
                ],
            )?;
            bump(c, id, p.status)?;
            audit(
                c,
                actor,
                "post_image_added",
                Some(&format!("post:{id}")),
                None,
            )?;
            Ok(load(c, id)?.ok_or_else(|| PostRefusal::NotFound(id.to_owned())))
        })
    }

    /// Changes the description of image `position` (a new version, as a new text).
    pub fn describe_post_image(
        &mut self,
        id: &str,
        position: i64,
        alt: &str,
        actor: &str,
    ) -> Result<PostResult, StoreError> {
        let alt = alt.trim();
        self.change_image(
            id,
            position,
            actor,
            "post_image_described",
            |all, index| {
                if let Some(entry) = all.get_mut(index) {
                    entry.1 = alt.to_owned();
                }
            },
            |c| {
                c.exec(
                    "UPDATE post_media SET alt = $1 WHERE post_id = $2 AND position = $3",
                    &[alt.into(), id.into(), position.into()],
                )?;
                Ok(())
            },
        )
    }

    /// Takes image `position` out of the post (the next ones move up).
    pub fn remove_post_image(
        &mut self,
        id: &str,
        position: i64,
        actor: &str,
    ) -> Result<PostResult, StoreError> {
        self.change_image(
            id,
            position,
            actor,
            "post_image_removed",
            |all, index| {
                all.remove(index);
            },
            |c| {
                c.exec(
                    "DELETE FROM post_media WHERE post_id = $1 AND position = $2",
                    &[id.into(), position.into()],
                )?;
                // Two steps, so that no two rows share a position on the way.
                c.exec(
                    "UPDATE post_media SET position = -position WHERE post_id = $1 AND position > $2",
                    &[id.into(), position.into()],
                )?;
                c.exec(
                    "UPDATE post_media SET position = -position - 1
                     WHERE post_id = $1 AND position < 0",
                    &[id.into()],
                )?;
                Ok(())
            },
        )
    }

    /// One change of an existing image: checked against the rules as the images would be
    /// (taking one away may leave Instagram without any), then written with `write`.
    fn change_image(
        &mut self,
        id: &str,
        position: i64,
        actor: &str,
        action: &str,
        change: impl FnOnce(&mut Vec<(Image, String)>, usize),
        write: impl FnOnce(&mut Conn) -> Result<(), StoreError>,
    ) -> Result<PostResult, StoreError> {
        self.conn.transaction(|c| {
            let p = match load_editable(c, id)? {
                Ok(p) => p,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let mut all = current(c, id)?;
            let index = match position.checked_sub(1).map(usize::try_from) {
                Some(Ok(index)) if index < all.len() => index,
                _ => {
                    return Ok(Err(PostRefusal::NoImage {
                        id: id.to_owned(),
                        position,
                    }));
                }
            };
            change(&mut all, index);
            // The images were taken with an address when they needed one.
            if let Err(refusal) = check(&p.platform, &all, true)? {
                return Ok(Err(refusal));
            }
            write(c)?;
            bump(c, id, p.status)?;
            audit(
                c,
                actor,
                action,
                Some(&format!("post:{id}")),
                Some(&position.to_string()),
            )?;
            Ok(load(c, id)?.ok_or_else(|| PostRefusal::NotFound(id.to_owned())))
        })
    }

    /// Image `position` of post `id`, with its bytes (the web app's preview).
    pub fn post_image(
        &mut self,
        id: &str,
        position: i64,
    ) -> Result<Option<(PostImage, Vec<u8>)>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS}, bytes FROM post_media WHERE post_id = $1 AND position = $2");
        self.conn
            .one(&sql, &[id.into(), position.into()])?
            .map(|r| Ok((image(&r)?, r.bytes(7)?)))
            .transpose()
    }

    /// The image behind a public address, only while its post is publishing or published
    /// (a draft's images are seen by the team alone): its content type and bytes.
    pub fn public_image(&mut self, token: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        self.conn
            .one(
                "SELECT m.content_type, m.bytes FROM post_media m JOIN posts p ON p.id = m.post_id
                 WHERE m.token = $1 AND p.status IN ('publishing', 'published')",
                &[token.into()],
            )?
            .map(|r| Ok((r.text(0)?, r.bytes(1)?)))
            .transpose()
    }

    /// The images of the post that outbox action `outbox_id` publishes, in order, with their
    /// bytes (none for any other action).
    pub fn outbox_post_images(
        &mut self,
        outbox_id: i64,
    ) -> Result<Vec<(PostImage, Vec<u8>)>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS}, bytes FROM post_media
             WHERE post_id = (SELECT id FROM posts WHERE outbox_id = $1)
             ORDER BY position"
        );
        self.conn
            .query(&sql, &[outbox_id.into()])?
            .iter()
            .map(|r| Ok((image(r)?, r.bytes(7)?)))
            .collect()
    }

    /// Keeps the public address the platform gave for the post that outbox action
    /// `outbox_id` published (Instagram's permalink).
    pub fn set_post_link(&mut self, outbox_id: i64, link: &str) -> Result<(), StoreError> {
        self.conn.exec(
            "UPDATE posts SET link = $1 WHERE outbox_id = $2",
            &[link.into(), outbox_id.into()],
        )?;
        Ok(())
    }
}

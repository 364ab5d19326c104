//! 100 campaigns × 50 triggers in one set: each message reaches its own campaign, and only it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_campaigns::CampaignSet;
use palabre_core::message::MessageText;
use palabre_core::{
    Author, EventId, ExternalId, Lang, Mention, Message, MessageKind, Platform, Timestamp,
};

fn campaign(c: usize) -> String {
    let tags: Vec<String> = (0..25).map(|t| format!("\"Élection{c}Tag{t}\"")).collect();
    let words: Vec<String> = (0..25).map(|t| format!("\"résultat{c}x{t}\"")).collect();
    format!(
        r##"id = "c{c:03}"
name = "Campaign {c}"
channels = ["x:1000:brand"]
mode = "draft"
window = "1h"
[trigger]
hashtags = [{}]
keywords = [{}]
[[extract]]
name = "code"
kind = "postal_code"
[reply]
fr = ["c{c:03} {{{{ code }}}}"]
[help]
example = "#Élection{c}Tag0 75001"
fr = "aide c{c:03}"
"##,
        tags.join(", "),
        words.join(", "),
    )
}

fn message(text: &str, mention: bool) -> Message {
    let mut m = Message::new(
        EventId::new(Platform::X, ExternalId::new("1").unwrap()),
        MessageKind::Post,
        MessageText::new(text).unwrap(),
        Author {
            id: "7".into(),
            ..Author::default()
        },
        Timestamp::UNIX_EPOCH,
    );
    if mention {
        m.entities.mentions.push(Mention {
            handle: "brand".into(),
            id: None,
        });
    }
    m
}

#[test]
fn each_request_reaches_its_own_campaign_among_a_hundred() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = (0..100)
        .map(|c| {
            let p = dir.path().join(format!("c{c}.toml"));
            std::fs::write(&p, campaign(c)).unwrap();
            p
        })
        .collect();
    let set = CampaignSet::load(&paths).unwrap();
    assert_eq!(set.trigger_count(), 5000);
    for c in [0, 7, 57, 99] {
        let got = set
            .evaluate(
                &message(&format!("#ELECTION{c}TAG24 69003"), false),
                Lang::Fr,
            )
            .unwrap();
        assert_eq!(got.campaign.id, format!("c{c:03}"));
        assert_eq!(got.text(), Some(format!("c{c:03} 69003").as_str()));
        // Keywords count only when addressed to the channel.
        let text = format!("Mon Résultat{c}X3 : 69003");
        assert!(set.evaluate(&message(&text, false), Lang::Fr).is_none());
        let got = set.evaluate(&message(&text, true), Lang::Fr).unwrap();
        assert_eq!(got.campaign.id, format!("c{c:03}"));
    }
    // `#Élection5Tag1` is not `#Élection57Tag1`, nor `#Élection5Tag10`.
    let got = set
        .evaluate(&message("#election5tag1 69003", false), Lang::Fr)
        .unwrap();
    assert_eq!(got.campaign.id, "c005");
    assert!(
        set.evaluate(&message("#election5tag100 69003", false), Lang::Fr)
            .is_none()
    );
}

#[test]
fn a_campaign_set_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<CampaignSet>();
    shared::<palabre_campaigns::CampaignMatch>();
}

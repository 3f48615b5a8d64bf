//! The contents of an archive package: the manifest, the printable record and the ZIP that
//! holds them. Pure: everything comes in as arguments, times included.

use std::io::Write;

use askama::Template;
use serde::{Deserialize, Serialize};

use crate::crypto::sm3_hex;
use crate::deliberation::model::Stage;

/// The format tag written into every manifest.
pub const FORMAT: &str = "xiangzhi-archive/1";
/// The file names inside the ZIP.
pub const MANIFEST: &str = "manifest.json";
pub const RECORD: &str = "record.html";

/// The default classification of village decisions in the village archive (文书档案,
/// 村务决策 — 《村级档案管理办法》); a county may set its own per matter type.
pub const DEFAULT_CLASSIFICATION: &str = "WS·村务决策";

/// The default retention class: resolutions of the villagers and their implementation are
/// kept permanently (永久); a matter withdrawn before any resolution, 10 years (10年). The
/// classes are those of the 村级文件材料归档范围和档案保管期限表 (永久 / 30年 / 10年).
pub fn default_retention(stage: Stage) -> &'static str {
    match stage {
        Stage::Closed => "永久",
        _ => "10年",
    }
}

/// Retention classes a county may choose.
pub const RETENTIONS: [&str; 3] = ["永久", "30年", "10年"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: String,
    pub classification: String,
    pub retention: String,
    /// Beijing time, `YYYY-MM-DD HH:MM`, and the same instant in UTC milliseconds.
    pub generated_at: String,
    pub generated_at_ms: i64,
    pub matter: MatterRecord,
    pub meetings: Vec<MeetingRecord>,
    pub publications: Vec<PublicationRecord>,
    /// Every other file of the package with its SM3.
    pub files: Vec<FileDigest>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MatterRecord {
    pub id: String,
    pub number: String,
    pub type_code: String,
    pub type_name: String,
    pub legal_basis: String,
    pub title: String,
    pub county_code: String,
    pub village_code: String,
    pub village_name: String,
    pub stage: String,
    pub stage_name: String,
    pub emergency: bool,
    pub authorisation: Option<String>,
    pub reason: Option<String>,
    /// The decided text and the SM3 of title and text (as kept on the matter).
    pub text: String,
    pub text_sm3: String,
    pub reviewed_sm3: Option<String>,
    pub created_at: String,
    pub resolved_at: Option<String>,
    pub completed_at: Option<String>,
    pub steps: Vec<StepRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepRecord {
    pub step: u8,
    pub step_name: String,
    pub stage: String,
    pub note: String,
    pub actor: String,
    pub at: String,
    pub text_sm3: String,
    pub meeting_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MeetingRecord {
    pub id: String,
    pub body: String,
    pub body_name: String,
    pub title: String,
    pub place: String,
    pub host: String,
    pub date: String,
    pub convened_at: Option<String>,
    pub closed_at: Option<String>,
    /// The roster frozen at convening: members and households; and who attended.
    pub members: i64,
    pub households: i64,
    pub attendees: i64,
    pub households_present: i64,
    pub minutes: String,
    pub votes: Vec<VoteRecord>,
}

/// A vote with its tally and result. Never who voted what: a secret ballot keeps no such
/// record, and the package carries no ballots of open votes either, only the count.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VoteRecord {
    pub id: String,
    pub question: String,
    pub secret: bool,
    pub yes: i64,
    pub no: i64,
    pub abstain: i64,
    pub quorum_met: Option<bool>,
    pub passed: Option<bool>,
    pub rule: Option<RuleRecord>,
}

/// The strictest applicable rule, the one that decided the vote.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RuleRecord {
    pub id: String,
    pub scope: String,
    pub label: String,
    pub source: String,
    pub yes_needed: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PublicationRecord {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub status: String,
    /// SM3 of the title, a newline and the body (the chain's own digest is `hash`).
    pub body_sm3: String,
    pub seq: Option<i64>,
    pub released_at: Option<String>,
    /// The village chain: the previous head and this publication's chain hash.
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileDigest {
    pub name: String,
    pub sm3: String,
    pub size: u64,
}

/// The printable record of the whole procedure: zh-CN, A4, no external resources.
#[derive(Template)]
#[template(path = "archive/record.html")]
struct RecordPage<'a> {
    m: &'a Manifest,
}

/// The package's files: the record rendered, its digest put into the manifest, the manifest
/// serialised. Returns `(manifest, ZIP bytes)`.
pub fn package(mut manifest: Manifest) -> anyhow::Result<(Manifest, Vec<u8>, String)> {
    let record = RecordPage { m: &manifest }.render()?.into_bytes();
    manifest.files = vec![FileDigest {
        name: RECORD.into(),
        sm3: sm3_hex(&record),
        size: record.len() as u64,
    }];
    let json = serde_json::to_vec_pretty(&manifest)?;
    let manifest_sm3 = sm3_hex(&json);
    let zip = zip_files(
        &[(MANIFEST, &json), (RECORD, &record)],
        manifest.generated_at_ms,
    )?;
    Ok((manifest, zip, manifest_sm3))
}

/// A ZIP of `files`, each stamped with `at` so the same contents give the same bytes.
fn zip_files(files: &[(&str, &[u8])], at: i64) -> anyhow::Result<Vec<u8>> {
    use chrono::{Datelike, Timelike};
    let t = chrono::DateTime::from_timestamp_millis(at + 8 * 3_600_000)
        .unwrap_or_default()
        .naive_utc();
    let stamp = zip::DateTime::from_date_and_time(
        u16::try_from(t.year()).unwrap_or(1980).max(1980),
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
    )
    .unwrap_or_default();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(stamp);
    for (name, bytes) in files {
        w.start_file(*name, opts)?;
        w.write_all(bytes)?;
    }
    Ok(w.finish()?.into_inner())
}

/// One file out of a package.
pub fn read_file(zip_bytes: &[u8], name: &str) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes))?;
    let mut f = z.by_name(name)?;
    let mut out = Vec::new();
    f.read_to_end(&mut out)?;
    Ok(out)
}

/// The Chinese name of a stage (for the record).
pub fn stage_zh(s: Stage) -> &'static str {
    match s {
        Stage::Draft => "草拟",
        Stage::Proposed => "党组织提议",
        Stage::Deliberated => "两委商议",
        Stage::Reviewed => "党员大会审议",
        Stage::Resolved => "村民会议或村民代表会议决议",
        Stage::Implementing => "决议公开、组织实施",
        Stage::Completed => "实施完毕",
        Stage::Closed => "实施结果公开、办结",
        Stage::Rejected => "否决",
        Stage::Withdrawn => "撤回",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_same_files_give_the_same_zip_and_read_back() {
        let a = zip_files(&[("a.txt", b"one"), ("b.txt", b"two")], 1_772_438_400_000).unwrap();
        let b = zip_files(&[("a.txt", b"one"), ("b.txt", b"two")], 1_772_438_400_000).unwrap();
        assert_eq!(sm3_hex(&a), sm3_hex(&b));
        assert_eq!(read_file(&a, "b.txt").unwrap(), b"two");
        assert!(read_file(&a, "c.txt").is_err());
    }

    #[test]
    fn resolutions_are_kept_permanently() {
        assert_eq!(default_retention(Stage::Closed), "永久");
        assert_eq!(default_retention(Stage::Withdrawn), "10年");
    }
}

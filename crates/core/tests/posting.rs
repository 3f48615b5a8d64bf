//! Photo evidence of posting a released publication on the village board (五化, spec §5.4),
//! on SQLite and PostgreSQL: only released publications, the photo sniffed and downscaled,
//! times checked, the minimum display days before it may come down, the township's list of
//! publications released without evidence, and the audit records.

#![allow(clippy::unwrap_used)]

mod common;

use common::{both, staff};
use xiangzhi_core::areas::{self, service::NewArea, AreaLevel};
use xiangzhi_core::authz::{Actor, Role};
use xiangzhi_core::disclosure::posting::{self, NewPosting};
use xiangzhi_core::disclosure::service::{self as disc, NewPublication};
use xiangzhi_core::disclosure::store::Publication;
use xiangzhi_core::{AppError, Core};

const COUNTY: &str = "130123000000";
const TOWNSHIP: &str = "130123101000";
const VILLAGE: &str = "130123101201";
const OTHER: &str = "130123101202";
const DAY: i64 = 86_400_000;

fn cadre(village: &str) -> Actor {
    staff(Role::VillageCadre, village, AreaLevel::Village)
}

fn code(e: AppError) -> String {
    match e {
        AppError::Validation(f) => format!("{}:{}", f[0].field, f[0].code),
        e => e.code().to_string(),
    }
}

fn photo(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

async fn setup(core: &Core) {
    let sys = Actor::system("test");
    for (code, name, level, parent) in [
        (COUNTY, "x县", "county", None),
        (TOWNSHIP, "城关镇", "township", Some(COUNTY)),
        (VILLAGE, "张家庄村", "village", Some(TOWNSHIP)),
        (OTHER, "李家庄村", "village", Some(TOWNSHIP)),
    ] {
        areas::service::create(
            &core.db,
            &sys,
            NewArea {
                code: code.into(),
                name: name.into(),
                level: level.into(),
                parent_code: parent.map(str::to_string),
                valid_from: None,
            },
        )
        .await
        .unwrap();
    }
    disc::ensure_catalogue(core, COUNTY).await.unwrap();
}

/// A hand-typed publication of `village`, reviewed and (when `release_at` is given) released.
async fn publication(
    core: &Core,
    village: &str,
    title: &str,
    release_at: Option<i64>,
) -> Publication {
    let t0 = release_at.unwrap_or(DAY * 20_000) - 2 * DAY;
    let p = disc::draft_manual(
        core,
        &cadre(village),
        NewPublication {
            area_code: village.into(),
            item_code: "finance".into(),
            period: "2026-02".into(),
            title: title.into(),
            body: "收入：上级转移支付 52,000.00 元".into(),
        },
        t0,
    )
    .await
    .unwrap();
    let sup = staff(Role::VillageSupervisor, village, AreaLevel::Village);
    let p = disc::review(core, &sup, &p.id, true, "", t0).await.unwrap();
    match release_at {
        Some(at) => disc::release(core, &cadre(village), &p.id, at)
            .await
            .unwrap(),
        None => p,
    }
}

fn posting(place: &str, bytes: Vec<u8>) -> NewPosting {
    NewPosting {
        posted_at: None,
        place: place.into(),
        lat: None,
        lon: None,
        photo_name: "公开栏.png".into(),
        photo: bytes,
    }
}

#[tokio::test]
async fn postings_prove_a_release_went_up_on_the_board() {
    both(|core: Core| async move {
        setup(&core).await;
        let t = 1_772_438_400_000; // 2026-03-02 08:00 UTC
        let a = cadre(VILLAGE);
        let draft = publication(&core, VILLAGE, "2026年2月财务收支公开（草稿）", None).await;
        let p = publication(&core, VILLAGE, "2026年2月财务收支公开", Some(t)).await;

        // Only a released publication is posted.
        assert_eq!(
            code(
                posting::record(&core, &a, &draft.id, posting("村委会公开栏", photo(40, 30)), t)
                    .await
                    .unwrap_err()
            ),
            "publication_not_released"
        );
        // Bad input is refused with the field; nothing is written.
        let cases: Vec<(NewPosting, &str)> = vec![
            (posting("", photo(40, 30)), "place:required"),
            (posting("村委会公开栏", Vec::new()), "photo:required"),
            (
                posting("村委会公开栏", b"%PDF-1.7 not a photo".to_vec()),
                "photo:photo_type",
            ),
            (
                NewPosting {
                    photo_name: "公开栏.jpg".into(),
                    ..posting("村委会公开栏", photo(40, 30))
                },
                "photo:photo_type",
            ),
            (
                NewPosting {
                    posted_at: Some(t + 2 * DAY),
                    ..posting("村委会公开栏", photo(40, 30))
                },
                "posted_at:in_future",
            ),
            (
                NewPosting {
                    posted_at: Some(t - DAY),
                    ..posting("村委会公开栏", photo(40, 30))
                },
                "posted_at:posted_before_release",
            ),
            (
                NewPosting {
                    lat: Some(95.0),
                    lon: Some(114.5),
                    ..posting("村委会公开栏", photo(40, 30))
                },
                "lat:invalid",
            ),
        ];
        for (n, want) in cases {
            assert_eq!(
                code(posting::record(&core, &a, &p.id, n, t + DAY).await.unwrap_err()),
                want
            );
        }
        assert!(posting::list(&core, &a, &p.id).await.unwrap().is_empty());
        // Another village's cadre does not find it.
        assert_eq!(
            code(
                posting::record(&core, &cadre(OTHER), &p.id, posting("公开栏", photo(40, 30)), t)
                    .await
                    .unwrap_err()
            ),
            "not_found"
        );
        // A supervisor reads but does not record.
        let sup = staff(Role::VillageSupervisor, VILLAGE, AreaLevel::Village);
        assert_eq!(
            code(
                posting::record(&core, &sup, &p.id, posting("公开栏", photo(40, 30)), t)
                    .await
                    .unwrap_err()
            ),
            "forbidden"
        );

        // Two postings: the board at the committee and the one in group 2, with position.
        let big = posting::record(
            &core,
            &a,
            &p.id,
            NewPosting {
                posted_at: Some(t + 3_600_000),
                ..posting("  村委会公开栏 ", photo(2560, 1920))
            },
            t + DAY,
        )
        .await
        .unwrap();
        assert_eq!(big.place, "村委会公开栏");
        assert_eq!(big.posted_at, t + 3_600_000);
        assert_eq!((big.photo_width, big.photo_height), (1280, 960), "downscaled");
        assert_eq!(big.recorded_by, a.display_name);
        let second = posting::record(
            &core,
            &a,
            &p.id,
            NewPosting {
                lat: Some(38.04),
                lon: Some(114.51),
                ..posting("二组活动室", photo(40, 30))
            },
            t + DAY,
        )
        .await
        .unwrap();
        let list = posting::list(&core, &a, &p.id).await.unwrap();
        assert_eq!(
            list.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
            [big.id.as_str(), second.id.as_str()],
            "in the order they went up"
        );
        assert_eq!(list[1].lat, Some(38.04));
        // The photo is stored as a JPEG whose SM3 is the recorded digest; other villages
        // do not get it.
        let bytes = posting::photo(&core, &sup, &big.id).await.unwrap();
        assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert_eq!(xiangzhi_core::crypto::sm3_hex(&bytes), big.photo_digest);
        assert_eq!(
            code(posting::photo(&core, &cadre(OTHER), &big.id).await.unwrap_err()),
            "not_found"
        );

        // It stays up the county's display days (30 by default), then comes down once.
        assert_eq!(
            code(
                posting::take_down(&core, &a, &big.id, Some(t + 10 * DAY), "", t + 10 * DAY)
                    .await
                    .unwrap_err()
            ),
            "removed_at:display_days_not_met"
        );
        let down = posting::take_down(&core, &a, &big.id, None, "到期撤下", t + 31 * DAY)
            .await
            .unwrap();
        assert_eq!(down.removed_at, Some(t + 31 * DAY));
        assert_eq!(
            code(
                posting::take_down(&core, &a, &big.id, None, "", t + 32 * DAY)
                    .await
                    .unwrap_err()
            ),
            "posting_removed"
        );
        let list = posting::list(&core, &a, &p.id).await.unwrap();
        assert_eq!(list[0].removed_at, Some(t + 31 * DAY));
        assert_eq!(list[0].removal_note.as_deref(), Some("到期撤下"));
        assert_eq!(list[1].removed_at, None);

        // Each change left an audit record.
        let mut c = core.db.read.acquire().await.unwrap();
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('publication.post', 'publication.take_down') \
             AND object_id = $1",
        )
        .bind(&p.id)
        .fetch_one(&mut *c)
        .await
        .unwrap();
        assert_eq!(n, 3);
    })
    .await;
}

#[tokio::test]
async fn the_township_sees_releases_without_posting_evidence() {
    both(|core: Core| async move {
        setup(&core).await;
        let t = 1_772_438_400_000;
        let posted = publication(&core, VILLAGE, "已张贴的公开", Some(t)).await;
        let late = publication(&core, VILLAGE, "未张贴的公开", Some(t + DAY)).await;
        let other = publication(&core, OTHER, "李家庄未张贴", Some(t)).await;
        let fresh = publication(&core, OTHER, "刚发布的公开", Some(t + 5 * DAY)).await;
        posting::record(
            &core,
            &cadre(VILLAGE),
            &posted.id,
            posting("村委会公开栏", photo(40, 30)),
            t + DAY,
        )
        .await
        .unwrap();
        let township = staff(Role::TownshipStaff, TOWNSHIP, AreaLevel::Township);
        // Six days after `t`: three days' allowance (the default) has passed for the two
        // unposted ones released at `t` and `t + 1 day`, not for the fresh one.
        let now = t + 6 * DAY + 1;
        let u = posting::unposted(&core, &township, now).await.unwrap();
        let got: Vec<(&str, &str, i64)> = u
            .iter()
            .map(|x| (x.publication.id.as_str(), x.village.as_str(), x.days_late))
            .collect();
        assert_eq!(
            got,
            [
                (other.id.as_str(), "李家庄村", 3),
                (late.id.as_str(), "张家庄村", 2)
            ]
        );
        assert!(u.iter().all(|x| x.publication.id != fresh.id));
        // A village's cadre sees only their own.
        let mine = posting::unposted(&core, &cadre(VILLAGE), now)
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].publication.id, late.id);
        // Once posted it leaves the list, even after the posting came down.
        posting::record(
            &core,
            &cadre(OTHER),
            &other.id,
            posting("公开栏", photo(40, 30)),
            now,
        )
        .await
        .unwrap();
        let u = posting::unposted(&core, &township, now).await.unwrap();
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].publication.id, late.id);
    })
    .await;
}

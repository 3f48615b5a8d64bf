//! Importing the people 台账 over HTTP (multipart upload of an XLSX file).

use std::sync::Arc;

use reqwest::{Client, StatusCode};
use xiangzhi_core::people::idnum::check_char;
use xiangzhi_core::people::xlsx::HEADER;

use crate::helpers::{csrf_of, TestApp};

pub const BOUNDARY: &str = "----xiangzhi-test-boundary-7MA4YWxkTrZu0gW";

/// A multipart/form-data body with the import form's fields.
pub fn multipart(csrf: &str, mode: &str, filename: &str, file: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for (name, value) in [("csrf", csrf), ("mode", mode)] {
        b.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    b.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

async fn upload(
    app: &TestApp,
    client: &Client,
    csrf: &str,
    mode: &str,
    name: &str,
    file: &[u8],
) -> (StatusCode, String) {
    let r = client
        .post(app.url("/import"))
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(csrf, mode, name, file))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.text().await.unwrap())
}

fn id(birth: &str) -> String {
    let body = format!("139921{birth}999");
    let c = check_char(&body).unwrap();
    format!("{body}{c}")
}

fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

fn row(name: &str, id: &str, area: &str, number: &str) -> Vec<String> {
    // 姓名 身份证号 手机号 区划代码 网格代码 户号 与户主关系 住址 党员 村民代表 村干部 监督委员
    [
        name,
        id,
        "",
        area,
        "",
        number,
        "户主",
        "第二组8号",
        "否",
        "",
        "",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

async fn import_xlsx(app: Arc<TestApp>) {
    let village = app.account("village_cadre").area_code.clone();
    let elsewhere = app.account("village_cadre2").area_code.clone();
    let cadre = app.login("village_cadre").await;
    let (status, html) = app.get(&cadre, "/import").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&HEADER.join("，")), "the columns are listed");
    let csrf = csrf_of(&html);
    let persons = app.count("persons", "").await;
    let audit = app.count("audit_log", crate::helpers::BY_PEOPLE).await;

    // Not an XLSX file: the error message, nothing written.
    let (status, body) = upload(
        &app,
        &cadre,
        &csrf,
        "all",
        "people.xlsx",
        "姓名,身份证号\n张三,1\n".as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("这不是 Excel（.xlsx）文件"), "{body}");
    assert_eq!(app.count("persons", "").await, persons);
    assert_eq!(
        app.count("audit_log", crate::helpers::BY_PEOPLE).await,
        audit
    );

    // A wrong CSRF token: refused.
    let good1 = id("19800202");
    let good2 = id("19900303");
    let mut bad_check = id("19850505");
    bad_check.replace_range(17.., if bad_check.ends_with('0') { "1" } else { "0" });
    let rows = vec![
        row("导入甲", &good1, &village, "8001"),            // row 2
        row("导入乙", &bad_check, &village, "8002"),        // row 3: check digit
        row("导入丙", &good2, &village, "8003"),            // row 4
        row("导入丁", &id("19750606"), &elsewhere, "8004"), // row 5: not the cadre's village
        row("", &id("19700707"), &village, "8005"),         // row 6: no name
    ];
    let file = xlsx(&rows);
    let (status, _) = upload(&app, &cadre, "0123", "all", "people.xlsx", &file).await;
    assert!(!status.is_success(), "{status}");
    assert_eq!(app.count("persons", "").await, persons);

    // All or nothing: the report lists the bad rows and nothing is written.
    let (status, body) = upload(&app, &cadre, &csrf, "all", "people.xlsx", &file).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("没有导入任何数据"), "{body}");
    for bad in [3, 5, 6] {
        assert!(
            body.contains(&format!("<td class=\"num\">{bad}</td>")),
            "row {bad} reported:\n{body}"
        );
    }
    for ok in [2, 4] {
        assert!(
            !body.contains(&format!("<td class=\"num\">{ok}</td>")),
            "row {ok}"
        );
    }
    assert!(body.contains("身份证号校验位不对"));
    assert!(body.contains("这个区划不在您的负责范围内"));
    assert_eq!(app.count("persons", "").await, persons);
    assert_eq!(app.count("audit_log", "action = 'person.import'").await, 0);

    // Valid rows only: the two good rows go in, the same bad rows are reported.
    let (status, body) = upload(&app, &cadre, &csrf, "valid_only", "people.xlsx", &file).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("已导入： 2 / 5"), "{body}");
    for bad in [3, 5, 6] {
        assert!(body.contains(&format!("<td class=\"num\">{bad}</td>")));
    }
    assert_eq!(app.count("persons", "").await, persons + 2);
    assert_eq!(app.count("audit_log", "action = 'person.import'").await, 1);
    let (_, list) = app.get(&cadre, "/people").await;
    assert!(list.contains("导入甲") && list.contains("导入丙"));
    assert!(!list.contains("导入乙"));

    // Uploading again: the same people are duplicates now.
    let (status, body) = upload(&app, &cadre, &csrf, "valid_only", "people.xlsx", &file).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("<td class=\"num\">2</td>"),
        "duplicates reported"
    );
    assert_eq!(app.count("persons", "").await, persons + 2);
}

crate::both_backends!(import_xlsx);

//! A real browser: headless Chromium driven through chromedriver (WebDriver) by fantoccini,
//! at a phone's width. A village cadre logs in through the form and looks at the households.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Screenshots go
//! to `target/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use xiangzhi_core::people::service::list_households;

use crate::helpers::{run, Backend, TestApp};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn install_hint() -> &'static str {
    "run `apt-get install -y chromium chromium-driver` (CI's .ci/run installs them)"
}

/// chromedriver and everything it started, in a process group of its own, killed when
/// dropped (also when the test fails).
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        assert!(
            Path::new(CHROMEDRIVER).exists(),
            "{CHROMEDRIVER} is missing: {}",
            install_hint()
        );
        // apt may still be unpacking chromium on a fresh machine: give it a moment.
        let deadline = Instant::now() + Duration::from_secs(60);
        while !Path::new(CHROMIUM).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_secs(2));
        }
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: {}",
            install_hint()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let mut cmd = Command::new(CHROMEDRIVER);
        cmd.arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}; {}", install_hint()));
        Driver { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = format!("{}/status", self.url());
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                panic!("chromedriver exited at once ({s})");
            }
            if let Ok(r) = reqwest::get(&status).await {
                if r.status().is_success() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and any browser it left behind.
        #[cfg(unix)]
        {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

async fn connect(driver: &Driver, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                format!("--user-data-dir={}", profile.display()),
                "--window-size=360,780",
                "--lang=zh-CN",
            ],
            // A cadre's phone: 360 CSS pixels wide (headless windows are never narrower than
            // 500), asking for Chinese.
            "mobileEmulation": {
                "deviceMetrics": {"width": 360, "height": 780, "pixelRatio": 1.0, "touch": true},
            },
            "prefs": {"intl.accept_languages": "zh-CN,zh"},
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url())
        .await
        .expect("a WebDriver session with headless Chromium")
}

async fn wait_for_path(browser: &Client, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = browser.current_url().await.expect("current URL");
        if url.path() == path {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "expected to arrive at {path}, still at {url}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn cadre_sees_own_households(app: Arc<TestApp>) {
    // What the page must and must not show, from the database.
    let cadre = app.actor("village_cadre").await;
    let (own, _) = list_households(&app.core, &cadre, None, 1, 30)
        .await
        .unwrap();
    let own_head = own
        .iter()
        .find_map(|h| h.head_name.clone())
        .expect("a household with a head");
    let other = app.actor("village_cadre2").await;
    let (theirs, _) = list_households(&app.core, &other, None, 1, 30)
        .await
        .unwrap();
    let v1_names = app.visible_names("village_cadre").await;
    let (their_household, their_head) = theirs
        .iter()
        .find_map(|h| {
            h.head_name
                .clone()
                .filter(|n| !v1_names.contains(n))
                .map(|n| (h.id.clone(), n))
        })
        .expect("a head name found only in the other village");

    app.core.search.flush().await;
    let mut driver = Driver::start();
    driver.wait_ready().await;
    let profile = app.scratch.dir.join("chromium-profile");
    std::fs::create_dir_all(&profile).unwrap();
    let browser = connect(&driver, &profile).await;

    // The browser session is closed whatever happens in the test.
    let account = app.account("village_cadre").clone();
    let base = app.base.clone();
    let b = browser.clone();
    let outcome = tokio::spawn(async move {
        let shots = screenshot_dir();
        b.goto(&format!("{base}/login")).await.unwrap();
        let user = b
            .wait()
            .for_element(Locator::Css("#username"))
            .await
            .unwrap();
        std::fs::write(shots.join("login-360.png"), b.screenshot().await.unwrap()).unwrap();
        user.send_keys(&account.username).await.unwrap();
        b.find(Locator::Css("#password"))
            .await
            .unwrap()
            .send_keys(&account.password)
            .await
            .unwrap();
        b.find(Locator::Css("form.form button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_path(&b, "/").await;
        // The workbench: the cadre's village figures and the age chart.
        let page = b.source().await.unwrap();
        assert!(
            page.contains("年龄结构"),
            "the workbench shows the age chart"
        );
        std::fs::write(
            shots.join("workbench-360.png"),
            b.screenshot().await.unwrap(),
        )
        .unwrap();

        b.goto(&format!("{base}/households")).await.unwrap();
        b.wait()
            .for_element(Locator::Css("#households"))
            .await
            .unwrap();
        let html = b.source().await.unwrap();
        assert!(
            html.contains(&format!(">{own_head} ")),
            "{own_head} is on the page"
        );
        assert!(
            !html.contains(&format!(">{their_head} ")),
            "{their_head} of another village is not"
        );
        let items = b.find_all(Locator::Css("#households li")).await.unwrap();
        assert_eq!(items.len(), own.len());
        std::fs::write(
            shots.join("households-360.png"),
            b.screenshot().await.unwrap(),
        )
        .unwrap();

        // Case search on the phone: the cadre's village's street-light reports, and a page
        // that fits the screen.
        b.goto(&format!("{base}/cases/search?q=%E8%B7%AF%E7%81%AF"))
            .await
            .unwrap();
        b.wait()
            .for_element(Locator::Css("form.search"))
            .await
            .unwrap();
        let html = b.source().await.unwrap();
        assert!(html.contains("路灯"), "street-light cases are found");
        assert!(fits_width(&b).await, "the search page fits 360 px");
        std::fs::write(shots.join("search-360.png"), b.screenshot().await.unwrap()).unwrap();

        // The logout button in the top bar is readable (not the bar's own colour).
        let colours = b
            .execute(
                "const btn = document.querySelector('.topbar form[action=\"/logout\"] button'); \
                 const bar = document.querySelector('.topbar'); \
                 const r = btn.getBoundingClientRect(); \
                 return [getComputedStyle(btn).color, getComputedStyle(bar).backgroundColor, \
                         r.width > 0 && r.height > 0 && r.right <= window.innerWidth];",
                vec![],
            )
            .await
            .unwrap();
        assert_ne!(
            colours[0], colours[1],
            "logout button colour vs top bar: {colours}"
        );
        assert_eq!(
            colours[2], true,
            "the logout button is on screen: {colours}"
        );

        // The other village's household: the friendly 404 page.
        b.goto(&format!("{base}/households/{their_household}"))
            .await
            .unwrap();
        let h1 = b
            .find(Locator::Css("h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(h1, "找不到页面");
        assert!(!b
            .source()
            .await
            .unwrap()
            .contains(&format!(">{their_head} ")));

        // Logging out ends the session: the households page sends to the login form.
        b.goto(&format!("{base}/households")).await.unwrap();
        b.find(Locator::Css(".topbar form[action=\"/logout\"] button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_path(&b, "/login").await;
        b.goto(&format!("{base}/households")).await.unwrap();
        wait_for_path(&b, "/login").await;
    })
    .await;
    let _ = browser.close().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_cadre_sees_own_households() {
    run(Backend::Sqlite, cadre_sees_own_households).await;
}

/// Log in through the form and wait for the home page.
async fn form_login(b: &Client, base: &str, username: &str, password: &str) {
    b.goto(&format!("{base}/login")).await.unwrap();
    b.wait()
        .for_element(Locator::Css("#username"))
        .await
        .unwrap()
        .send_keys(username)
        .await
        .unwrap();
    b.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    b.find(Locator::Css("form.form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(b, "/").await;
}

/// Scroll an element to the middle of the screen (clear of the bottom navigation) and click it.
async fn click(b: &Client, css: &str) {
    let el = b.find(Locator::Css(css)).await.unwrap();
    b.execute(
        "arguments[0].scrollIntoView({block: 'center'});",
        vec![serde_json::to_value(&el).unwrap()],
    )
    .await
    .unwrap();
    el.click().await.unwrap();
}

/// Whether the page fits the phone's width (no sideways scrolling).
async fn fits_width(b: &Client) -> bool {
    b.execute(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1;",
        vec![],
    )
    .await
    .unwrap()
        == true
}

async fn villager_raises_a_case_on_a_phone(app: Arc<TestApp>) {
    let mut driver = Driver::start();
    driver.wait_ready().await;
    let profile = app.scratch.dir.join("chromium-profile-cases");
    std::fs::create_dir_all(&profile).unwrap();
    let browser = connect(&driver, &profile).await;
    let villager = app.account_by_role("villager").clone();
    let cadre = app.account("village_cadre").clone();
    let base = app.base.clone();
    let b = browser.clone();
    let outcome = tokio::spawn(async move {
        let shots = screenshot_dir();
        form_login(&b, &base, &villager.username, &villager.password).await;
        // 办事: choose the matter, then describe it. No JavaScript needed.
        b.goto(&format!("{base}/cases/new")).await.unwrap();
        b.wait().for_element(Locator::Css("#types")).await.unwrap();
        assert!(fits_width(&b).await, "the choice list fits 360 px");
        std::fs::write(
            shots.join("case-choose-360.png"),
            b.screenshot().await.unwrap(),
        )
        .unwrap();
        click(&b, "a[href=\"/cases/new?type=streetlight\"]").await;
        b.wait()
            .for_element(Locator::Css("#description"))
            .await
            .unwrap()
            .send_keys("学校门口两盏路灯晚上不亮，孩子放学路上很黑")
            .await
            .unwrap();
        b.find(Locator::Css("#address"))
            .await
            .unwrap()
            .send_keys("二组学校门口")
            .await
            .unwrap();
        assert!(fits_width(&b).await, "the form fits 360 px");
        std::fs::write(
            shots.join("case-form-360.png"),
            b.screenshot().await.unwrap(),
        )
        .unwrap();
        click(&b, "#raise button[type=submit]").await;
        b.wait()
            .for_element(Locator::Css("#timeline"))
            .await
            .unwrap();
        let html = b.source().await.unwrap();
        assert!(
            html.contains("已提交，编号"),
            "a confirmation with the number"
        );
        assert!(html.contains("待受理"));
        assert!(fits_width(&b).await, "the case page fits 360 px");
        std::fs::write(
            shots.join("case-villager-360.png"),
            b.screenshot().await.unwrap(),
        )
        .unwrap();
        let case_path = b.current_url().await.unwrap().path().to_string();

        // The cadre sees it in the queue and accepts it from the case page.
        b.find(Locator::Css(".topbar form[action=\"/logout\"] button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_path(&b, "/login").await;
        form_login(&b, &base, &cadre.username, &cadre.password).await;
        b.goto(&format!("{base}/cases?queue=org")).await.unwrap();
        b.wait().for_element(Locator::Css("#cases")).await.unwrap();
        assert!(b.source().await.unwrap().contains(&case_path));
        std::fs::write(
            shots.join("case-queue-360.png"),
            b.screenshot().await.unwrap(),
        )
        .unwrap();
        b.goto(&format!("{base}{case_path}")).await.unwrap();
        click(&b, "#act-accept button[type=submit]").await;
        b.wait()
            .for_element(Locator::Css("#act-dispatch"))
            .await
            .unwrap();
        let html = b.source().await.unwrap();
        assert!(html.contains("已受理"));
        std::fs::write(
            shots.join("case-cadre-360.png"),
            b.screenshot().await.unwrap(),
        )
        .unwrap();
    })
    .await;
    let _ = browser.close().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_villager_raises_a_case_on_a_phone() {
    run(Backend::Sqlite, villager_raises_a_case_on_a_phone).await;
}

/// The public board on a phone: a village's notices, the online copy re-checked, and a
/// cadre's matter and meeting pages — each fits 360 px; screenshots kept.
async fn public_board_and_decisions_on_a_phone(app: Arc<TestApp>) {
    let mut driver = Driver::start();
    driver.wait_ready().await;
    let profile = app.scratch.dir.join("chromium-profile-public");
    std::fs::create_dir_all(&profile).unwrap();
    let browser = connect(&driver, &profile).await;
    let cadre = app.account("village_cadre").clone();
    let base = app.base.clone();
    let b = browser.clone();
    let outcome = tokio::spawn(async move {
        let shots = screenshot_dir();
        b.goto(&format!("{base}/public/villages/{}", cadre.area_code))
            .await
            .unwrap();
        b.wait().for_element(Locator::Css("#h-aff")).await.unwrap();
        assert!(fits_width(&b).await, "the village board fits 360 px");
        assert!(b.source().await.unwrap().contains("村务公开栏"));
        std::fs::write(
            shots.join("public-village-360.png"),
            b.screenshot().await.unwrap(),
        )
        .unwrap();
        click(&b, "#h-aff + ul.list li a").await;
        b.wait()
            .for_element(Locator::Css("#h-digest"))
            .await
            .unwrap();
        click(&b, "a[href$=\"?check=1#h-digest\"]").await;
        b.wait()
            .for_element(Locator::Css(".flash.success"))
            .await
            .unwrap();
        assert!(b.source().await.unwrap().contains("核验通过"));
        assert!(fits_width(&b).await, "the online copy fits 360 px");
        std::fs::write(
            shots.join("public-copy-360.png"),
            b.screenshot().await.unwrap(),
        )
        .unwrap();

        form_login(&b, &base, &cadre.username, &cadre.password).await;
        b.goto(&format!("{base}/matters")).await.unwrap();
        b.wait()
            .for_element(Locator::Css("#matters"))
            .await
            .unwrap();
        assert!(fits_width(&b).await, "the matter list fits 360 px");
        std::fs::write(shots.join("matters-360.png"), b.screenshot().await.unwrap()).unwrap();
        click(&b, "#matters li a").await;
        b.wait()
            .for_element(Locator::Css("ol.timeline"))
            .await
            .unwrap();
        assert!(fits_width(&b).await, "the matter page fits 360 px");
        std::fs::write(shots.join("matter-360.png"), b.screenshot().await.unwrap()).unwrap();
        b.goto(&format!("{base}/meetings")).await.unwrap();
        b.wait()
            .for_element(Locator::Css("#meetings"))
            .await
            .unwrap();
        click(&b, "#meetings li a").await;
        b.wait()
            .for_element(Locator::Css("article.vote"))
            .await
            .unwrap();
        std::fs::write(shots.join("meeting-360.png"), b.screenshot().await.unwrap()).unwrap();
        b.goto(&format!("{base}/disclosure")).await.unwrap();
        b.wait().for_element(Locator::Css("#h-over")).await.unwrap();
        std::fs::write(
            shots.join("disclosure-360.png"),
            b.screenshot().await.unwrap(),
        )
        .unwrap();
    })
    .await;
    let _ = browser.close().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_public_board_and_decisions_on_a_phone() {
    run(Backend::Sqlite, public_board_and_decisions_on_a_phone).await;
}

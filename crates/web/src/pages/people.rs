//! People and households: lists, details, edit, reveal, import and export.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xiangzhi_core::authz::Permission;
use xiangzhi_core::people::{
    self, xlsx, HouseholdSummary, Kin, PersonInput, PersonSummary, RevealField,
};
use xiangzhi_core::{areas, tabular, AppError, FieldError};

use super::areas::{read_upload, ImportPage};
use super::{attach_errors, pages, render, FormField};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

const PER_PAGE: i64 = 30;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    area: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    rows: Vec<PersonSummary>,
    total: i64,
    page: i64,
    pages: i64,
    area: String,
    q: String,
}

pub async fn list(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let page = q.page.unwrap_or(1).max(1);
    let area = (!q.area.is_empty()).then_some(q.area.as_str());
    let (rows, total) = people::service::list_people(&st.core, a, area, &q.q, page, PER_PAGE)
        .await
        .map_err(|e| c.err(e))?;
    Ok(render(
        &c,
        PeoplePage {
            c: &c,
            flash: None,
            rows,
            total,
            page,
            pages: pages(total, PER_PAGE),
            area: q.area,
            q: q.q,
        },
    ))
}

#[derive(Template)]
#[template(path = "households.html")]
struct HouseholdsPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    rows: Vec<HouseholdSummary>,
    total: i64,
    page: i64,
    pages: i64,
    area: String,
    /// Areas to choose from: (code, name) — the villages of a township, the groups of a village.
    areas: Vec<(String, String)>,
}

pub async fn households(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let page = q.page.unwrap_or(1).max(1);
    let area = (!q.area.is_empty()).then_some(q.area.as_str());
    let (rows, total) = people::service::list_households(&st.core, a, area, page, PER_PAGE)
        .await
        .map_err(|e| c.err(e))?;
    // Area choices: the children of the user's primary area.
    let mut choices = Vec::new();
    if let Some(g) = a.primary() {
        if !matches!(
            g.area_level,
            areas::AreaLevel::Group | areas::AreaLevel::Grid
        ) {
            choices.push((g.area_code.clone(), g.area_name.clone()));
            for ch in st
                .children(&g.area_code)
                .await
                .map_err(|e| c.err(e))?
                .iter()
            {
                if ch.level != areas::AreaLevel::Grid {
                    choices.push((ch.code.clone(), format!("— {}", ch.name)));
                }
            }
        }
    }
    Ok(render(
        &c,
        HouseholdsPage {
            c: &c,
            flash: None,
            rows,
            total,
            page,
            pages: pages(total, PER_PAGE),
            area: q.area,
            areas: choices,
        },
    ))
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    h: HouseholdSummary,
    members: Vec<PersonSummary>,
}

pub async fn household(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let (h, members) = people::service::household(&st.core, a, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(render(
        &c,
        HouseholdPage {
            c: &c,
            flash: None,
            h,
            members,
        },
    ))
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    p: PersonSummary,
    kin: Vec<Kin>,
    revealed_id: Option<String>,
    revealed_phone: Option<String>,
    error: Option<&'static str>,
}

impl<'a> PersonPage<'a> {
    /// The person page as it first shows: identifiers masked, no notice.
    fn new(c: &'a Ctx, p: PersonSummary, kin: Vec<Kin>) -> Self {
        PersonPage {
            c,
            flash: None,
            p,
            kin,
            revealed_id: None,
            revealed_phone: None,
            error: None,
        }
    }
}

pub async fn person(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let (p, kin) = people::service::person(&st.core, a, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(render(&c, PersonPage::new(&c, p, kin)))
}

#[derive(Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    reason: String,
}

pub async fn reveal(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<RevealForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let field =
        RevealField::parse(&f.field).ok_or_else(|| c.err(AppError::field("field", "invalid")))?;
    let (p, kin) = people::service::person(&st.core, a, &id)
        .await
        .map_err(|e| c.err(e))?;
    let mut page = PersonPage::new(&c, p, kin);
    match people::service::reveal(&st.core, a, &id, field, &f.reason).await {
        Ok(v) => {
            match field {
                RevealField::IdNumber => page.revealed_id = Some(v),
                RevealField::Phone => page.revealed_phone = Some(v),
            }
            page.flash = Some(c.t("reveal.audited").to_string());
        }
        Err(AppError::Validation(v)) => {
            page.error = Some(c.msg(&v.first().map(|e| e.code.clone()).unwrap_or_default()))
        }
        Err(e) => return Err(c.err(e)),
    }
    let mut r = render(&c, page);
    // A revealed value must not linger in caches.
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// A cadre opens a proxy account for a villager without a smartphone.
pub async fn proxy_account(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let flash = match xiangzhi_core::accounts::create_proxy_account(&st.core, a, &id).await {
        Ok(_) => c.t("proxy.done").to_string(),
        Err(e @ AppError::Conflict { .. }) => c.msg(e.code()).to_string(),
        Err(e) => return Err(c.err(e)),
    };
    let (p, kin) = people::service::person(&st.core, a, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(render(
        &c,
        PersonPage {
            flash: Some(flash),
            ..PersonPage::new(&c, p, kin)
        },
    ))
}

#[derive(Template)]
#[template(path = "person_form.html")]
struct PersonForm<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    editing: bool,
    action: String,
    fields: Vec<FormField>,
    errors: Vec<FieldError>,
}

#[derive(Deserialize, Default)]
pub struct PersonFormData {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    area_code: String,
    #[serde(default)]
    grid_code: String,
    #[serde(default)]
    household_number: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    relation: String,
    #[serde(default)]
    is_party_member: Option<String>,
    #[serde(default)]
    is_representative: Option<String>,
    #[serde(default)]
    is_cadre: Option<String>,
    #[serde(default)]
    is_supervisor: Option<String>,
}

impl PersonFormData {
    fn input(&self) -> PersonInput {
        PersonInput {
            name: self.name.clone(),
            id_number: self.id_number.clone(),
            phone: self.phone.clone(),
            area_code: self.area_code.clone(),
            grid_code: self.grid_code.clone(),
            household_number: self.household_number.clone(),
            address: self.address.clone(),
            relation: self.relation.clone(),
            is_party_member: self.is_party_member.is_some(),
            is_representative: self.is_representative.is_some(),
            is_cadre: self.is_cadre.is_some(),
            is_supervisor: self.is_supervisor.is_some(),
        }
    }
}

fn person_fields(i: &PersonInput, editing: bool) -> Vec<FormField> {
    let mut id = FormField {
        label: "p.id_number",
        ..FormField::text("id_number", i.id_number.clone())
    };
    id.readonly = editing;
    vec![
        FormField {
            label: "p.name",
            ..FormField::text("name", i.name.clone())
        },
        id,
        FormField {
            label: "p.phone",
            ..FormField::text("phone", i.phone.clone())
        },
        FormField {
            label: "p.area",
            ..FormField::text("area_code", i.area_code.clone())
        },
        FormField {
            label: "p.grid",
            ..FormField::text("grid_code", i.grid_code.clone())
        },
        FormField {
            label: "hh.number",
            ..FormField::text("household_number", i.household_number.clone())
        },
        FormField {
            label: "hh.address",
            ..FormField::text("address", i.address.clone())
        },
        FormField {
            label: "p.relation_input",
            ..FormField::text("relation", i.relation.clone())
        },
        FormField {
            label: "role.party",
            ..FormField::check("is_party_member", i.is_party_member)
        },
        FormField {
            label: "role.rep",
            ..FormField::check("is_representative", i.is_representative)
        },
        FormField {
            label: "role.cadre",
            ..FormField::check("is_cadre", i.is_cadre)
        },
        FormField {
            label: "role.supervisor",
            ..FormField::check("is_supervisor", i.is_supervisor)
        },
    ]
}

pub async fn new_form(c: Ctx, Query(q): Query<ListQuery>) -> Result<Response, WebError> {
    let a = c.actor()?;
    if !a.can(Permission::PeopleWrite) {
        return Err(c.err(AppError::Forbidden));
    }
    let input = PersonInput {
        area_code: q.area,
        relation: "户主".into(),
        ..Default::default()
    };
    Ok(render(
        &c,
        PersonForm {
            c: &c,
            flash: None,
            editing: false,
            action: "/people".into(),
            fields: person_fields(&input, false),
            errors: vec![],
        },
    ))
}

fn form_error(
    c: &Ctx,
    input: &PersonInput,
    editing: bool,
    action: String,
    e: AppError,
) -> Result<Response, WebError> {
    match e {
        AppError::Validation(_) | AppError::Conflict { .. } => {
            let errors = e.fields();
            let mut fields = person_fields(input, editing);
            attach_errors(&mut fields, &errors, c.lang);
            let mut r = render(
                c,
                PersonForm {
                    c,
                    flash: None,
                    editing,
                    action,
                    fields,
                    errors,
                },
            );
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        e => Err(c.err(e)),
    }
}

pub async fn create(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<PersonFormData>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let input = f.input();
    match people::service::create_person(&st.core, a, &input).await {
        Ok(p) => Ok(Redirect::to(&format!("/people/{}", p.id)).into_response()),
        Err(e) => form_error(&c, &input, false, "/people".into(), e),
    }
}

pub async fn edit_form(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let (p, _) = people::service::person(&st.core, a, &id)
        .await
        .map_err(|e| c.err(e))?;
    a.require(
        Permission::PeopleWrite,
        &p.area_code,
        p.grid_code.as_deref(),
    )
    .map_err(|e| c.err(e))?;
    let number = match &p.household_id {
        Some(h) => people::store::get_household(&st.core.db, h)
            .await
            .map_err(|e| c.err(e))?
            .map(|(h, _)| (h.number, h.address))
            .unwrap_or_default(),
        None => Default::default(),
    };
    let input = PersonInput {
        name: p.name.clone(),
        id_number: p.id_masked.clone(),
        phone: String::new(),
        area_code: p.area_code.clone(),
        grid_code: p.grid_code.clone().unwrap_or_default(),
        household_number: number.0,
        address: number.1,
        relation: p.relation.clone(),
        is_party_member: p.is_party_member,
        is_representative: p.is_representative,
        is_cadre: p.is_cadre,
        is_supervisor: p.is_supervisor,
    };
    let mut fields = person_fields(&input, true);
    if let Some(ph) = fields.iter_mut().find(|f| f.name == "phone") {
        ph.label = "p.phone_new";
    }
    Ok(render(
        &c,
        PersonForm {
            c: &c,
            flash: None,
            editing: true,
            action: format!("/people/{id}"),
            fields,
            errors: vec![],
        },
    ))
}

pub async fn update(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<PersonFormData>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let mut input = f.input();
    // An empty phone on the edit form keeps the stored one.
    if input.phone.trim().is_empty() {
        let mut conn = st
            .core
            .db
            .read
            .acquire()
            .await
            .map_err(|e| c.err(e.into()))?;
        if let Some((area, grid, _, Some(enc))) = people::store::secrets(&mut conn, &id)
            .await
            .map_err(|e| c.err(e))?
        {
            if a.require(Permission::PeopleWrite, &area, grid.as_deref())
                .is_ok()
            {
                if let Ok(p) = st
                    .core
                    .keys
                    .decrypt(&enc, format!("person:{id}:phone").as_bytes())
                {
                    input.phone = String::from_utf8_lossy(&p).to_string();
                }
            }
        }
    }
    match people::service::update_person(&st.core, a, &id, &input).await {
        Ok(p) => Ok(Redirect::to(&format!("/people/{}", p.id)).into_response()),
        Err(e) => {
            input.phone.clear();
            form_error(&c, &input, true, format!("/people/{id}"), e)
        }
    }
}

fn import_page<'a>(c: &'a Ctx) -> ImportPage<'a> {
    ImportPage {
        c,
        flash: None,
        report: None,
        error: None,
        columns: xlsx::HEADER.join("，"),
    }
}

pub async fn import_form(c: Ctx) -> Result<Response, WebError> {
    let a = c.actor()?;
    if !a.can(Permission::PeopleImport) {
        return Err(c.err(AppError::Forbidden));
    }
    Ok(render(&c, import_page(&c)))
}

pub async fn import_submit(
    State(st): State<AppState>,
    c: Ctx,
    mp: Multipart,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    if !a.can(Permission::PeopleImport) {
        return Err(c.err(AppError::Forbidden));
    }
    let (csrf, mode, bytes) = read_upload(&c, mp).await?;
    c.check_csrf(&csrf)?;
    let mut page = import_page(&c);
    let status;
    match xlsx::import_bytes(&st.core, a, &bytes, mode).await {
        Ok(r) => {
            status = if r.rolled_back { 422 } else { 200 };
            page.report = Some(r);
        }
        Err(e @ AppError::Validation(_)) => {
            status = 422;
            page.error = Some(
                e.fields()
                    .iter()
                    .map(|f| c.msg(&f.code))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        Err(e) => return Err(c.err(e)),
    }
    let mut r = render(&c, page);
    *r.status_mut() = axum::http::StatusCode::from_u16(status).unwrap_or_default();
    Ok(r)
}

fn xlsx_response(bytes: Vec<u8>, name: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// An empty 台账 with the headings, for cadres to fill in.
pub async fn import_template(c: Ctx) -> Result<Response, WebError> {
    c.actor()?;
    let bytes = tabular::write_xlsx("人口台账", xlsx::HEADER, &[]).map_err(|e| c.err(e.into()))?;
    Ok(xlsx_response(bytes, "people-template.xlsx"))
}

pub async fn export(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let area = (!q.area.is_empty()).then_some(q.area.as_str());
    let bytes = xlsx::export(&st.core, a, area)
        .await
        .map_err(|e| c.err(e))?;
    Ok(xlsx_response(bytes, "people.xlsx"))
}

//! The pieces pages are built of: tables that are also CSV exports, cursor pagers, empty
//! states, form fields that show the API's error beside them, badges.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::api::ApiErrors;
use crate::i18n::Tr;

/// How a badge or a cell reads at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Plain,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Self::Good => "badge good",
            Self::Warn => "badge warn",
            Self::Bad => "badge bad",
            Self::Plain => "badge",
        }
    }
}

pub fn badge(text: &str, tone: Tone) -> Markup {
    html! { span class=(tone.class()) { (text) } }
}

/// One cell: its text (what the CSV holds), and how the page shows it.
#[derive(Clone, Debug, Default)]
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    pub tone: Option<Tone>,
    pub numeric: bool,
    /// A class for the text (e.g. `expiring`).
    pub class: Option<&'static str>,
    /// Controls shown instead of the text (a form's button); the CSV has the text.
    pub action: Option<Markup>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    pub fn number(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            numeric: true,
            ..Self::default()
        }
    }

    pub fn link(text: impl Into<String>, href: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            href: Some(href.into()),
            ..Self::default()
        }
    }

    pub fn badge(text: impl Into<String>, tone: Tone) -> Self {
        Self {
            text: text.into(),
            tone: Some(tone),
            ..Self::default()
        }
    }

    /// A cell of controls (e.g. a button in a form of its own), empty in the CSV.
    pub fn action(markup: Markup) -> Self {
        Self {
            action: Some(markup),
            ..Self::default()
        }
    }

    fn html(&self) -> Markup {
        let inner = html! {
            @if let Some(action) = &self.action { (action) }
            @else if let Some(href) = &self.href { a href=(href) { (self.text) } }
            @else if let Some(tone) = self.tone { (badge(&self.text, tone)) }
            @else { (self.text) }
        };
        html! {
            td class=[self.numeric.then_some("num")] {
                @if let Some(class) = self.class { span class=(class) { (inner) } } @else { (inner) }
            }
        }
    }
}

/// A table a page shows and, at `?format=csv`, sends as a CSV file of the same rows.
pub struct Table {
    file: String,
    columns: Vec<(String, bool)>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// `file` names the CSV download (without `.csv`).
    pub fn new(file: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            columns: Vec::new(),
            rows: Vec::new(),
        }
    }

    pub fn column(mut self, label: impl Into<String>) -> Self {
        self.columns.push((label.into(), false));
        self
    }

    pub fn numeric_column(mut self, label: impl Into<String>) -> Self {
        self.columns.push((label.into(), true));
        self
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        debug_assert_eq!(
            cells.len(),
            self.columns.len(),
            "a row of {} has the wrong width",
            self.file
        );
        self.rows.push(cells);
    }

    /// The table, or `empty` (what to do next) when it has no rows.
    pub fn html(&self, empty: Markup) -> Markup {
        if self.rows.is_empty() {
            return html! { div.empty { (empty) } };
        }
        html! {
            table {
                thead { tr { @for (label, numeric) in &self.columns { th class=[numeric.then_some("num")] scope="col" { (label) } } } }
                tbody { @for row in &self.rows { tr { @for cell in row { (cell.html()) } } } }
            }
        }
    }

    /// The rows as a CSV attachment, a header line first.
    pub fn csv(&self) -> Response {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let header: Vec<&str> = self
            .columns
            .iter()
            .map(|(label, _)| label.as_str())
            .collect();
        let written = writer.write_record(&header).and_then(|()| {
            self.rows.iter().try_for_each(|row| {
                writer.write_record(row.iter().map(|cell| neutralised(&cell.text).into_owned()))
            })
        });
        let body = match written
            .and_then(|()| writer.into_inner().map_err(|err| err.into_error().into()))
        {
            Ok(body) => body,
            Err(err) => {
                tracing::error!(error = %err, "writing a CSV export failed");
                return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        let disposition = format!(
            "attachment; filename=\"{}.csv\"",
            self.file.replace(['"', '\\'], "")
        );
        let mut response =
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response();
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a
/// leading `'` (OWASP's CSV-injection advice); numbers such as `-12.50` stay as they are.
fn neutralised(text: &str) -> std::borrow::Cow<'_, str> {
    let risky = text.starts_with(['=', '+', '@', '\t', '\r'])
        || (text.starts_with('-') && text[1..].parse::<f64>().is_err());
    if risky {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// The page's own path and query with `key` set to `value` (or removed, for `None`).
pub fn with_param(path_and_query: &str, key: &str, value: Option<&str>) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k != key)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Some(value) = value {
        pairs.push((key.to_owned(), value.to_owned()));
    }
    if pairs.is_empty() {
        return path.to_owned();
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{query}")
}

/// Whether the page was asked for as CSV.
pub fn wants_csv(format: Option<&str>) -> bool {
    format == Some("csv")
}

/// Above a table: the CSV link and the pager for a connection's `pageInfo`.
pub fn table_tools(tr: &Tr, path: &str, has_next: bool, end_cursor: Option<&str>) -> Markup {
    let first_page = with_param(path, "after", None);
    let paged = first_page != path;
    html! {
        div.table-tools {
            a href=(with_param(path, "format", Some("csv"))) download { (tr.t("export-csv")) }
            nav.pager aria-label=(tr.t("pager-label")) {
                @if paged { a href=(first_page) { (tr.t("page-first")) } }
                @if let (true, Some(cursor)) = (has_next, end_cursor) {
                    a href=(with_param(path, "after", Some(cursor))) rel="next" { (tr.t("page-next")) }
                }
            }
        }
    }
}

/// A labelled input with the API's message about `field` beside it.
pub fn field(label: &str, name: &str, input: Markup, errors: Option<&ApiErrors>) -> Markup {
    let error = errors.and_then(|e| e.for_field(name));
    let id = format!("{name}-error");
    html! {
        label {
            (label)
            (input)
            @if let Some(error) = error { span.field-error id=(id) role="alert" { (error) } }
        }
    }
}

/// The messages of `errors` no field shows.
pub fn general_errors(errors: Option<&ApiErrors>, fields: &[&str]) -> Markup {
    html! {
        @if let Some(errors) = errors {
            @for message in errors.general(fields) { p.alert role="alert" { (message) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_set_replaced_and_removed() {
        assert_eq!(
            with_param("/agencies", "after", Some("abc")),
            "/agencies?after=abc"
        );
        assert_eq!(
            with_param("/a?status=ACTIVE&after=x", "after", Some("y")),
            "/a?status=ACTIVE&after=y"
        );
        assert_eq!(with_param("/a?after=x", "after", None), "/a");
        assert_eq!(
            with_param("/a?q=a%20b", "format", Some("csv")),
            "/a?q=a+b&format=csv"
        );
    }

    #[test]
    fn csv_cells_that_would_run_as_formulas_are_neutralised() {
        assert_eq!(neutralised("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralised("-12.50"), "-12.50");
        assert_eq!(neutralised("-cmd"), "'-cmd");
        assert_eq!(neutralised("@SUM"), "'@SUM");
        assert_eq!(neutralised("Acme"), "Acme");
    }
}

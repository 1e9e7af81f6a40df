//! The console over HTTP, as a signed-in person's browser uses it: pages by role, what
//! they show, and that an agency's staff never see another agency's data.

mod agencies;
mod agency;
mod agency_staff;
mod allocation;
mod audit;
mod compliance;
mod finance;
mod frame;
mod overview;
mod performance;
mod placements;
mod portfolios;
mod settings;
pub mod work;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, ORIGIN};

use crate::helpers::TestApp;
use crate::people::{Person, browser, make_person, signed_in};

/// A person signed in to the console.
pub struct Console {
    pub base: String,
    pub cookie: String,
    pub person: Person,
    client: reqwest::Client,
}

/// A page as the browser received it.
pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// Fails the test, showing the page, unless its body has `text`.
    #[track_caller]
    pub fn shows(&self, text: &str) -> &Self {
        assert!(
            self.body.contains(text),
            "the page lacks {text:?}:\n{}",
            self.body
        );
        self
    }

    #[track_caller]
    pub fn lacks(&self, text: &str) -> &Self {
        assert!(
            !self.body.contains(text),
            "the page shows {text:?}:\n{}",
            self.body
        );
        self
    }
}

/// A new person with `role` (and agency) signed in.
pub async fn console_as(app: &TestApp, role: &str, agency_id: Option<i64>) -> Console {
    let person = make_person(app, role, agency_id).await;
    let cookie = signed_in(app, &person).await;
    Console {
        base: app.base.clone(),
        cookie,
        person,
        client: browser(),
    }
}

impl Console {
    async fn page(response: reqwest::Response) -> Page {
        Page {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.expect("a body"),
        }
    }

    /// `GET path` (redirects are shown, not followed).
    pub async fn get(&self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .expect("the server answers");
        Self::page(response).await
    }

    /// `GET path` as htmx asks for a fragment.
    pub async fn get_fragment(&self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header("hx-request", "true")
            .send()
            .await
            .expect("the server answers");
        Self::page(response).await
    }

    /// A form posted from the console's own page.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header(ORIGIN, &self.base)
            .form(form)
            .send()
            .await
            .expect("the server answers");
        Self::page(response).await
    }

    /// A multipart form (a file upload) posted from the console's own page, as htmx
    /// sends it.
    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header(ORIGIN, &self.base)
            .header("hx-request", "true")
            .multipart(form)
            .send()
            .await
            .expect("the server answers");
        Self::page(response).await
    }
}

//! Files in and out of the page: the file a user chose in an
//! `<input type="file">`, its text, a download link for text made here,
//! and a GET's status and body; and what a browser API's refusal says.

/// What a browser API's refusal says, for a message: an `Error`'s (or a
/// `DOMException`'s) message, a thrown string as it is, anything else as
/// the console would show it.
pub fn refusal_text(e: &wasm_bindgen::JsValue) -> String {
    use wasm_bindgen::JsCast;
    match e.dyn_ref::<js_sys::Error>() {
        Some(error) => String::from(error.message()),
        None => e.as_string().unwrap_or_else(|| format!("{e:?}")),
    }
}

/// A GET's status and body, or why there is none.
pub async fn fetch(url: &str) -> Result<(u16, String), String> {
    use leptos::prelude::window;
    use wasm_bindgen::JsCast;
    let response = wasm_bindgen_futures::JsFuture::from(window().fetch_with_str(url))
        .await
        .map_err(|e| format!("cannot reach {url}: {}", refusal_text(&e)))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| "not an HTTP response".to_string())?;
    let text = response.text().map_err(|_| "no body".to_string())?;
    let body = wasm_bindgen_futures::JsFuture::from(text)
        .await
        .map_err(|e| format!("the body could not be read: {}", refusal_text(&e)))?;
    Ok((response.status(), body.as_string().unwrap_or_default()))
}

/// The file chosen in the `<input type="file">` an event came from.
pub fn chosen_file(ev: &leptos::ev::Event) -> Option<web_sys::File> {
    use wasm_bindgen::JsCast;
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .and_then(|i| i.files())
        .and_then(|f| f.get(0))
}

/// Every file chosen in the `<input type="file" multiple>` an event came from.
pub fn chosen_files(ev: &leptos::ev::Event) -> Vec<web_sys::File> {
    use wasm_bindgen::JsCast;
    let Some(list) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .and_then(|i| i.files())
    else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// A file's whole text (empty if it cannot be read).
pub async fn text_of(file: web_sys::File) -> String {
    wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// A `blob:` URL to download `text` from.
pub fn download_url(text: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let blob = web_sys::Blob::new_with_str_sequence(&parts).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

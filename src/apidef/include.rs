//! `DefinitionBody: {Fn::Transform: {Name: AWS::Include, Parameters: {Location: ./api.yaml}}}`:
//! the standard SAM way to keep an API's OpenAPI document in its own file.
//!
//! `sam deploy` (and `aws cloudformation package`) reads a local `Location` relative to the
//! template's folder and puts the file's content in its place. `rolegen drift` does the same,
//! so the source template is compared as it will be deployed. A location in S3 or on the web,
//! or a file that cannot be read, leaves the body unread: its routes are then counted as not
//! compared (never as missing).

use super::ApiDef;
use super::openapi::{self, Defaults};
use super::tree::{self, Node};
use std::path::Path;
use std::rc::Rc;

/// A body to be read from a local file.
#[derive(Clone, Debug)]
pub struct Include {
    /// `Location` as written.
    pub location: String,
    /// The API's authorizers and default (SAM's `Auth`), which apply to the included document.
    pub defaults: Defaults,
    /// What holds the document, for messages ("the `DefinitionBody` of API `X` includes").
    pub holder: String,
    pub line: u32,
    pub column: u32,
}

/// The include a body stands for, when it is `AWS::Include` of a local file.
pub fn local(body: Node, defaults: &Defaults) -> Option<Include> {
    let (func, arg) = body.intrinsic()?;
    if func != "Fn::Transform" || arg.get("Name")?.as_str()? != "AWS::Include" {
        return None;
    }
    let location = arg.get("Parameters")?.get("Location")?;
    let text = location.as_str()?;
    if text.is_empty() || text.contains("://") {
        return None;
    }
    Some(Include {
        location: text.to_string(),
        defaults: defaults.clone(),
        holder: "the `DefinitionBody`".to_string(),
        line: location.line,
        column: location.column,
    })
}

/// Reads every local include of `def`, relative to `dir` (the template's folder), into its API.
/// `max_bytes` bounds each file as the template itself is bounded.
pub fn resolve(def: &mut ApiDef, dir: &Path, max_bytes: usize) {
    for api in &mut def.apis {
        for inc in std::mem::take(&mut api.includes) {
            let path = dir.join(inc.location.trim_start_matches("./"));
            let shown = path.display().to_string();
            let text = match read(&path, max_bytes) {
                Ok(t) => t,
                Err(e) => {
                    let why = format!(
                        "{} of API `{}` includes `{}`, which cannot be read ({e})",
                        inc.holder, api.id, inc.location
                    );
                    api.unread(inc.line, inc.column, why);
                    continue;
                }
            };
            let doc = match tree::parse(&text) {
                Ok(d) => d,
                Err(d) => {
                    let at = d
                        .span
                        .map(|s| format!(" at `{shown}:{}:{}`", s.line, s.column))
                        .unwrap_or_default();
                    let why = format!(
                        "{} of API `{}` includes `{}`, which is not an OpenAPI document rolegen can read: {}{at}",
                        inc.holder, api.id, inc.location, d.message
                    );
                    api.unread(inc.line, inc.column, why);
                    continue;
                }
            };
            let file: Rc<str> = Rc::from(shown.as_str());
            let before = api.routes.len();
            let unresolved_before = api.unresolved.len();
            openapi::read_paths(doc.root(), &inc.defaults, api);
            for r in &mut api.routes[before..] {
                r.file = Some(file.clone());
            }
            // What could not be followed inside the included file says which file it is in.
            for u in &mut api.unresolved[unresolved_before..] {
                u.message = format!("{} (in `{shown}` line {})", u.message, u.line);
                u.line = inc.line;
                u.column = inc.column;
            }
        }
    }
}

fn read(path: &Path, max_bytes: usize) -> Result<String, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > max_bytes as u64 {
        return Err(format!("larger than {max_bytes} bytes"));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())
}

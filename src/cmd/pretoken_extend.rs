//! Reads the team's own pre-token trigger (`pretoken.extend`) beside the roles file, so that
//! generators, which never touch the disk, find its code in the model.

use super::Loaded;
use crate::diag::Diagnostic;
use std::path::Path;

/// Fills the model's `pretoken_extend.source` from the file, relative to the roles file's
/// folder. A file that cannot be read is an error at `pretoken.extend`, and no model.
pub fn attach(roles_path: &Path, loaded: &mut Loaded) {
    let Some(ext) = loaded
        .model
        .as_mut()
        .and_then(|m| m.pretoken_extend.as_mut())
    else {
        return;
    };
    let dir = roles_path.parent().unwrap_or(Path::new(""));
    let file = dir.join(ext.path.trim_start_matches("./"));
    let max = crate::yaml::limits::ROLES.max_file_bytes;
    let problem = match std::fs::metadata(&file) {
        Err(e) => Some(e.to_string()),
        Ok(m) if !m.is_file() => Some("not a file".to_string()),
        Ok(m) if m.len() > max as u64 => Some(format!("larger than {max} bytes")),
        Ok(_) => match std::fs::read(&file).map(String::from_utf8) {
            Err(e) => Some(e.to_string()),
            Ok(Err(_)) => Some("not UTF-8".to_string()),
            Ok(Ok(text)) => {
                ext.source = Some(text);
                None
            }
        },
    };
    if let Some(why) = problem {
        loaded.diags.push(
            Diagnostic::error("io", format!("cannot read `{}` ({why})", file.display()))
                .at(ext.span)
                .help("`pretoken.extend` is relative to the roles file's folder"),
        );
        loaded.model = None;
    }
}

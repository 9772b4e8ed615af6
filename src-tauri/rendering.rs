//! How the window is drawn on Linux. WebKitGTK and GTK would otherwise open an OpenGL
//! (GLX) and an EGL display in the app's own process just to pick a rendering path for
//! the web view, which loads Mesa's driver and LLVM: about 50 MB of the main process for
//! a window of forms and tables. The page is drawn the same way without them: the web
//! process renders and hands frames over in shared memory.
//!
//! Set `KEYWARD_GPU_COMPOSITING=1` to keep the toolkits' defaults; a variable the user
//! already set is never changed.

/// A path that names no device: WebKit then renders in software, as it would find out.
const NO_RENDER_NODE: &str = "/dev/dri/none";

/// The environment the toolkits read, for a given render node (if the machine has one).
pub fn settings(render_node: Option<String>) -> Vec<(&'static str, String)> {
    vec![
        // GTK: no GL context for the window itself.
        ("GDK_GL", "disable".to_owned()),
        // WebKit: frames in shared memory rather than DMA-BUF, which needs EGL here.
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1".to_owned()),
        // WebKit asks EGL which GPU to hand to the web process unless told: tell it the
        // machine's first render node, as its own fallback would.
        (
            "WEBKIT_WEB_RENDER_DEVICE_FILE",
            render_node.unwrap_or_else(|| NO_RENDER_NODE.to_owned()),
        ),
    ]
}

/// Applies [`settings`] before GTK starts. Call first thing in `main`, while the process
/// has a single thread.
pub fn prefer_shared_memory_rendering() {
    if !cfg!(target_os = "linux") || std::env::var_os("KEYWARD_GPU_COMPOSITING").is_some() {
        return;
    }
    for (name, value) in settings(first_render_node()) {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}

fn first_render_node() -> Option<String> {
    let mut nodes: Vec<String> = std::fs::read_dir("/dev/dri")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().display().to_string())
        .filter(|p| {
            p.rsplit('/')
                .next()
                .is_some_and(|n| n.starts_with("renderD"))
        })
        .collect();
    nodes.sort();
    nodes.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_node_is_passed_on_and_its_absence_said() {
        let with = settings(Some("/dev/dri/renderD128".into()));
        assert!(with.contains(&(
            "WEBKIT_WEB_RENDER_DEVICE_FILE",
            "/dev/dri/renderD128".into()
        )));
        let without = settings(None);
        assert!(without.contains(&("WEBKIT_WEB_RENDER_DEVICE_FILE", NO_RENDER_NODE.into())));
        assert!(without.contains(&("GDK_GL", "disable".into())));
        assert!(without.contains(&("WEBKIT_DISABLE_DMABUF_RENDERER", "1".into())));
    }
}

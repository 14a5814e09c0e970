// The panel is now native ES modules (/static/js/main.js, loaded by index.html as type="module").
// This file only serves a page loaded before that change: it loads the modules.
import("/static/js/main.js");

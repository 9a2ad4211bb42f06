// Starts Swagger UI on /api/docs from the settings the page carries (no inline script, no CDN).
// Writes from the page use the session, so they send the CSRF token the page was rendered with.
(function () {
  "use strict";
  const page = document.body.dataset;
  const settings = JSON.parse(document.getElementById("swagger-settings").textContent);
  settings.dom_id = "#swagger-ui";
  settings.presets = [SwaggerUIBundle.presets.apis];
  if (page.csrfToken) {
    settings.requestInterceptor = (request) => {
      request.headers["X-CSRFToken"] = page.csrfToken;
      return request;
    };
  }
  window.ui = SwaggerUIBundle(settings);
})();

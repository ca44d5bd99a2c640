// Swagger UI for /docs, from the packaged swagger-ui-bundle (no CDN; no inline script under our CSP).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});

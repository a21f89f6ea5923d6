// "ย้อนกลับ" on the error page: the browser's own Back. An inline javascript: link is blocked by the pages' CSP
// (script-src 'self'), so the link goes home without this file and steps back with it.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("a[data-back]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  });
});

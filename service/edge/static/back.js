// "ย้อนกลับ" on the error page: the browser's own Back. An inline javascript: link is blocked by the pages' CSP
// (script-src 'self'), so the link goes home without this file and steps back with it. The page loads this file
// before the link (a click listener on the document, no waiting for the page to finish), so no click is early.
document.addEventListener("click", function (event) {
  var link = event.target instanceof Element ? event.target.closest("a[data-back]") : null;
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});

// Marks the page as able to run GOV.UK Frontend (kept out of the HTML so the
// Content-Security-Policy can forbid inline script).
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');

// Starts the GOV.UK Frontend components. Every core journey works without it.
import { initAll } from '/assets/govuk-frontend.min.js'
initAll()

// A table that a page has not put in a scroll container scrolls by itself
// on a phone (app.scss): let the keyboard reach it too.
for (const table of document.querySelectorAll('.govuk-main-wrapper .govuk-table')) {
  if (!table.parentElement.classList.contains('app-table-scroll') && getComputedStyle(table).display === 'block') {
    table.tabIndex = 0
  }
}

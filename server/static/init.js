// Starts the GOV.UK Frontend components. Every core journey works without it.
import { initAll } from '/assets/govuk-frontend.min.js'
initAll()

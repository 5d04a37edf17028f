#!/usr/bin/env bash
# Builds the web assets caremarket embeds into its binary (server/static/)
# from the pinned govuk-frontend package. The output is committed, so a
# normal build needs neither Node.js nor the network; run this only to
# change the stylesheet or upgrade govuk-frontend (pinned in web/package.json).
set -euo pipefail
cd "$(dirname "$0")/../web"
npm ci --no-audit --no-fund
out=../server/static
mkdir -p "$out/images"
npx sass --no-source-map --style=compressed --quiet-deps --silence-deprecation=import,global-builtin,color-functions \
  --load-path=node_modules src/app.scss "$out/app.css"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$out/govuk-frontend.min.js"
cp node_modules/govuk-frontend/dist/govuk/assets/images/favicon.ico \
   node_modules/govuk-frontend/dist/govuk/assets/images/favicon.svg "$out/images/"
echo "built $out from govuk-frontend $(node -p 'require("govuk-frontend/package.json").version')"
# axe-core, for the browser test's accessibility check (MPL-2.0, licence beside it).
cp node_modules/axe-core/axe.min.js ../e2e/testdata/axe.min.js
cp node_modules/axe-core/LICENSE ../e2e/testdata/axe-core-LICENSE.txt

package server

import "github.com/caremarket/caremarket/finance"

// The JSON bodies of the finance endpoints, for TestOpenAPIRequestBodies.
func init() {
	requestBodies["PUT /api/v1/finance/settings"] = finance.Settings{}
	requestBodies["POST /api/v1/budget-lines"] = budgetLineInput{}
	requestBodies["PUT /api/v1/budget-lines/{id}"] = budgetLineInput{}
	requestBodies["POST /api/v1/budgets"] = budgetsInput{}
	requestBodies["PUT /api/v1/providers/{id}/supplier-reference"] = supplierRefInput{}
	requestBodies["POST /api/v1/assumptions"] = assumptionsInput{}
	requestBodies["POST /api/v1/scenarios"] = scenarioInput{}
}

package server

import "github.com/caremarket/caremarket/quality"

// The JSON bodies of the quality endpoints, for TestOpenAPIRequestBodies.
func init() {
	requestBodies["POST /api/v1/monitoring-frameworks"] = frameworkInput{}
	requestBodies["POST /api/v1/monitoring-visits"] = visitInput{}
	requestBodies["PUT /api/v1/monitoring-visits/{id}"] = visitInput{}
	requestBodies["POST /api/v1/monitoring-visits/{id}/response"] = visitResponseInput{}
	requestBodies["POST /api/v1/actions"] = actionInput{}
	requestBodies["POST /api/v1/actions/{id}/evidence"] = evidenceInput{}
	requestBodies["POST /api/v1/actions/{id}/decision"] = quality.Decision{}
	requestBodies["PUT /api/v1/risk-weights"] = quality.Weights{}
	requestBodies["POST /api/v1/quality-events"] = qualityEventInput{}
	requestBodies["PUT /api/v1/lots/{id}/audit-minimum"] = lotMinimumInput{}
}

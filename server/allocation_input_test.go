package server

// The JSON bodies of the batch allocation endpoints, for
// TestOpenAPIRequestBodies.
func init() {
	requestBodies["POST /api/v1/allocations/preview"] = previewInput{}
	requestBodies["POST /api/v1/allocations/{id}/send"] = sendInput{}
}

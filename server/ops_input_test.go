package server

// The JSON bodies of the operations and personal data endpoints, for
// TestOpenAPIRequestBodies.
func init() {
	requestBodies["PUT /api/v1/retention-rules"] = retentionInput{}
	requestBodies["PUT /api/v1/me/notifications"] = notificationsInput{}
}

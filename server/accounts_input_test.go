package server

// The JSON bodies of the account endpoints, for TestOpenAPIRequestBodies.
func init() {
	requestBodies["PUT /api/v1/me/password"] = passwordInput{}
	requestBodies["POST /api/v1/tokens"] = tokenInput{}
}

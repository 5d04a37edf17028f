package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestImportCentroids(t *testing.T) {
	path := kentDB(t)
	fixture := "../../brokerage/testdata/kent_outcode_centroids.csv"
	code, out, errOut := runCmd(t, "import", "outcode-centroids", "--db", path, "--council", "kent", fixture)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	mustContain(t, "stdout", out, "loaded 67 postcode district centres into kent")

	// A bad line loads nothing and names the line.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("outcode,latitude,longitude\nCT9,51.38,1.38\nCT10,north,1.4\n"), 0o600)
	code, _, errOut = runCmd(t, "import", "outcode-centroids", "--db", path, "--council", "kent", bad)
	if code == 0 {
		t.Fatal("a bad file was accepted")
	}
	mustContain(t, "stderr", errOut, `line 3: the latitude "north"`, "nothing was loaded")
}

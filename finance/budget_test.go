package finance

import (
	"strings"
	"testing"
)

func TestReadBudgets(t *testing.T) {
	lines := []BudgetLine{{ID: 1, Name: "Older people nursing", Code: "OPN"}, {ID: 2, Name: "Home care"}}
	bs, bad, err := ReadBudgets(strings.NewReader("Budget line,Year,Amount\nOPN,2026/27,\"£1,000.50\"\nhome care,2027,20\nNope,2026/27,1\nOPN,2026/28,1\n"), lines)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0] != (Budget{BudgetLineID: 1, Year: 2026, Amount: 100050}) || bs[1].Year != 2027 || bs[1].Amount != 2000 {
		t.Errorf("budgets = %+v", bs)
	}
	if len(bad) != 2 || bad[0].Line != 4 || bad[1].Line != 5 {
		t.Errorf("bad = %+v", bad)
	}
	if _, _, err := ReadBudgets(strings.NewReader("a,b\n"), lines); err == nil {
		t.Error("no columns accepted")
	}
}

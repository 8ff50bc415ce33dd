package codes

import "fmt"

// QuadClass is GDELT's four-way grouping of CAMEO events, the column QuadClass of every
// event and the super-category calibration pools small CAMEO codes into.
type QuadClass int

// The four QuadClasses, numbered as GDELT numbers them.
const (
	VerbalCooperation   QuadClass = 1
	MaterialCooperation QuadClass = 2
	VerbalConflict      QuadClass = 3
	MaterialConflict    QuadClass = 4
)

// QuadClasses lists the four classes in GDELT's order.
var QuadClasses = []QuadClass{VerbalCooperation, MaterialCooperation, VerbalConflict, MaterialConflict}

// Name is the class's short snake-case name (verbal_coop, material_coop,
// verbal_conflict, material_conflict).
func (q QuadClass) Name() string {
	switch q {
	case VerbalCooperation:
		return "verbal_coop"
	case MaterialCooperation:
		return "material_coop"
	case VerbalConflict:
		return "verbal_conflict"
	case MaterialConflict:
		return "material_conflict"
	}
	return fmt.Sprintf("quadclass_%d", int(q))
}

// RootQuadClass returns the QuadClass of a two-digit CAMEO root code: CAMEO's twenty
// root codes fall into GDELT's QuadClasses as 01-05 verbal cooperation, 06-09 material
// cooperation, 10-14 verbal conflict and 15-20 material conflict. It reports false for
// anything that is not a root code "01".."20".
func RootQuadClass(root string) (QuadClass, bool) {
	if len(root) != 2 || root[0] < '0' || root[0] > '2' || root[1] < '0' || root[1] > '9' {
		return 0, false
	}
	switch n := int(root[0]-'0')*10 + int(root[1]-'0'); {
	case n >= 1 && n <= 5:
		return VerbalCooperation, true
	case n >= 6 && n <= 9:
		return MaterialCooperation, true
	case n >= 10 && n <= 14:
		return VerbalConflict, true
	case n >= 15 && n <= 20:
		return MaterialConflict, true
	}
	return 0, false
}

// ValidRoot reports whether s is a CAMEO root code "01".."20".
func ValidRoot(s string) bool {
	_, ok := RootQuadClass(s)
	return ok
}

// rootNames are CAMEO's names of its twenty root codes, index n for root code n.
var rootNames = [...]string{
	1:  "Make public statement",
	2:  "Appeal",
	3:  "Express intent to cooperate",
	4:  "Consult",
	5:  "Engage in diplomatic cooperation",
	6:  "Engage in material cooperation",
	7:  "Provide aid",
	8:  "Yield",
	9:  "Investigate",
	10: "Demand",
	11: "Disapprove",
	12: "Reject",
	13: "Threaten",
	14: "Protest",
	15: "Exhibit force posture",
	16: "Reduce relations",
	17: "Coerce",
	18: "Assault",
	19: "Fight",
	20: "Use unconventional mass violence",
}

// RootName returns CAMEO's name of a two-digit root code ("19" is "Fight"), or "" for
// anything that is not a root code "01".."20".
func RootName(root string) string {
	if !ValidRoot(root) {
		return ""
	}
	return rootNames[int(root[0]-'0')*10+int(root[1]-'0')]
}

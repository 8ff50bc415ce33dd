// This file maps FIPS 10-4 country codes, as GDELT uses them in its geographic
// fields (Actor1Geo_CountryCode, Actor2Geo_CountryCode, ActionGeo_CountryCode),
// to the ISO 3166-1 alpha-3 codes geopol stores.

package codes

import "strings"

// fipsToISO maps every FIPS 10-4 country or territory code found in GDELT's
// country lookup to an ISO 3166-1 alpha-3 code.
//
// Conventions:
//   - Territories without an ISO code of their own map to the ISO code of the
//     administering country (Ashmore and Cartier and the Coral Sea Islands to
//     AUS, Clipperton to FRA, the Sovereign Base Areas to GBR), or to the ISO
//     grouping that contains them (the US minor islands to UMI, the French
//     Scattered Islands to ATF, Jan Mayen to SJM).
//   - Gaza Strip and West Bank both map to PSE; Kosovo maps to XKX, the
//     user-assigned code geopol uses for it.
//   - Retired codes still seen in GDELT data map to their successor: YI
//     (Serbia and Montenegro) to SRB; NT (Netherlands Antilles, dissolved in
//     2010) to NLD, the sovereign state.
//   - Codes with no country at all are left out, so FIPSToISO reports them as
//     unknown: OS (Oceans), NM (No Man's Land), UF (Undersea Features), UU
//     (Undesignated Sovereignty), and the disputed PF (Paracel Islands), PG
//     (Spratly Islands) and PJ (Etorofu, Habomai, Kunashiri and Shikotan).
//
// Mind the codes that differ from ISO alpha-2: AS is Australia (not American
// Samoa, which is AQ), AU is Austria, CH is China, SZ is Switzerland, and so on.
var fipsToISO = map[string]string{
	"AA": "ABW", // Aruba
	"AC": "ATG", // Antigua and Barbuda
	"AE": "ARE", // United Arab Emirates
	"AF": "AFG", // Afghanistan
	"AG": "DZA", // Algeria
	"AJ": "AZE", // Azerbaijan
	"AL": "ALB", // Albania
	"AM": "ARM", // Armenia
	"AN": "AND", // Andorra
	"AO": "AGO", // Angola
	"AQ": "ASM", // American Samoa
	"AR": "ARG", // Argentina
	"AS": "AUS", // Australia
	"AT": "AUS", // Ashmore and Cartier Islands (Australia)
	"AU": "AUT", // Austria
	"AV": "AIA", // Anguilla
	"AX": "GBR", // Akrotiri Sovereign Base Area (United Kingdom)
	"AY": "ATA", // Antarctica
	"BA": "BHR", // Bahrain
	"BB": "BRB", // Barbados
	"BC": "BWA", // Botswana
	"BD": "BMU", // Bermuda
	"BE": "BEL", // Belgium
	"BF": "BHS", // Bahamas, The
	"BG": "BGD", // Bangladesh
	"BH": "BLZ", // Belize
	"BK": "BIH", // Bosnia and Herzegovina
	"BL": "BOL", // Bolivia
	"BM": "MMR", // Burma (Myanmar)
	"BN": "BEN", // Benin
	"BO": "BLR", // Belarus
	"BP": "SLB", // Solomon Islands
	"BQ": "UMI", // Navassa Island (US)
	"BR": "BRA", // Brazil
	"BS": "ATF", // Bassas da India (French Scattered Islands)
	"BT": "BTN", // Bhutan
	"BU": "BGR", // Bulgaria
	"BV": "BVT", // Bouvet Island
	"BX": "BRN", // Brunei
	"BY": "BDI", // Burundi
	"CA": "CAN", // Canada
	"CB": "KHM", // Cambodia
	"CD": "TCD", // Chad
	"CE": "LKA", // Sri Lanka
	"CF": "COG", // Congo (Brazzaville)
	"CG": "COD", // Congo (Kinshasa), Democratic Republic of the Congo
	"CH": "CHN", // China
	"CI": "CHL", // Chile
	"CJ": "CYM", // Cayman Islands
	"CK": "CCK", // Cocos (Keeling) Islands
	"CM": "CMR", // Cameroon
	"CN": "COM", // Comoros
	"CO": "COL", // Colombia
	"CQ": "MNP", // Northern Mariana Islands
	"CR": "AUS", // Coral Sea Islands (Australia)
	"CS": "CRI", // Costa Rica
	"CT": "CAF", // Central African Republic
	"CU": "CUB", // Cuba
	"CV": "CPV", // Cape Verde (Cabo Verde)
	"CW": "COK", // Cook Islands
	"CY": "CYP", // Cyprus
	"DA": "DNK", // Denmark
	"DJ": "DJI", // Djibouti
	"DO": "DMA", // Dominica
	"DQ": "UMI", // Jarvis Island (US)
	"DR": "DOM", // Dominican Republic
	"DX": "GBR", // Dhekelia Sovereign Base Area (United Kingdom)
	"EC": "ECU", // Ecuador
	"EG": "EGY", // Egypt
	"EI": "IRL", // Ireland
	"EK": "GNQ", // Equatorial Guinea
	"EN": "EST", // Estonia
	"ER": "ERI", // Eritrea
	"ES": "SLV", // El Salvador
	"ET": "ETH", // Ethiopia
	"EU": "ATF", // Europa Island (French Scattered Islands)
	"EZ": "CZE", // Czech Republic (Czechia)
	"FG": "GUF", // French Guiana
	"FI": "FIN", // Finland
	"FJ": "FJI", // Fiji
	"FK": "FLK", // Falkland Islands (Islas Malvinas)
	"FM": "FSM", // Micronesia, Federated States of
	"FO": "FRO", // Faroe Islands
	"FP": "PYF", // French Polynesia
	"FQ": "UMI", // Baker Island (US)
	"FR": "FRA", // France
	"FS": "ATF", // French Southern and Antarctic Lands
	"GA": "GMB", // Gambia, The
	"GB": "GAB", // Gabon
	"GG": "GEO", // Georgia
	"GH": "GHA", // Ghana
	"GI": "GIB", // Gibraltar
	"GJ": "GRD", // Grenada
	"GK": "GGY", // Guernsey
	"GL": "GRL", // Greenland
	"GM": "DEU", // Germany
	"GO": "ATF", // Glorioso Islands (French Scattered Islands)
	"GP": "GLP", // Guadeloupe
	"GQ": "GUM", // Guam
	"GR": "GRC", // Greece
	"GT": "GTM", // Guatemala
	"GV": "GIN", // Guinea
	"GY": "GUY", // Guyana
	"GZ": "PSE", // Gaza Strip
	"HA": "HTI", // Haiti
	"HK": "HKG", // Hong Kong
	"HM": "HMD", // Heard Island and McDonald Islands
	"HO": "HND", // Honduras
	"HQ": "UMI", // Howland Island (US)
	"HR": "HRV", // Croatia
	"HU": "HUN", // Hungary
	"IC": "ISL", // Iceland
	"ID": "IDN", // Indonesia
	"IM": "IMN", // Isle of Man
	"IN": "IND", // India
	"IO": "IOT", // British Indian Ocean Territory
	"IP": "FRA", // Clipperton Island (France)
	"IR": "IRN", // Iran
	"IS": "ISR", // Israel
	"IT": "ITA", // Italy
	"IV": "CIV", // Cote d'Ivoire
	"IZ": "IRQ", // Iraq
	"JA": "JPN", // Japan
	"JE": "JEY", // Jersey
	"JM": "JAM", // Jamaica
	"JN": "SJM", // Jan Mayen (Norway; ISO groups it with Svalbard)
	"JO": "JOR", // Jordan
	"JQ": "UMI", // Johnston Atoll (US)
	"JU": "ATF", // Juan de Nova Island (French Scattered Islands)
	"KE": "KEN", // Kenya
	"KG": "KGZ", // Kyrgyzstan
	"KN": "PRK", // Korea, North
	"KQ": "UMI", // Kingman Reef (US)
	"KR": "KIR", // Kiribati
	"KS": "KOR", // Korea, South
	"KT": "CXR", // Christmas Island
	"KU": "KWT", // Kuwait
	"KV": "XKX", // Kosovo (user-assigned code)
	"KZ": "KAZ", // Kazakhstan
	"LA": "LAO", // Laos
	"LE": "LBN", // Lebanon
	"LG": "LVA", // Latvia
	"LH": "LTU", // Lithuania
	"LI": "LBR", // Liberia
	"LO": "SVK", // Slovakia
	"LQ": "UMI", // Palmyra Atoll (US)
	"LS": "LIE", // Liechtenstein
	"LT": "LSO", // Lesotho
	"LU": "LUX", // Luxembourg
	"LY": "LBY", // Libya
	"MA": "MDG", // Madagascar
	"MB": "MTQ", // Martinique
	"MC": "MAC", // Macau
	"MD": "MDA", // Moldova
	"MF": "MYT", // Mayotte
	"MG": "MNG", // Mongolia
	"MH": "MSR", // Montserrat
	"MI": "MWI", // Malawi
	"MJ": "MNE", // Montenegro
	"MK": "MKD", // Macedonia (North Macedonia)
	"ML": "MLI", // Mali
	"MN": "MCO", // Monaco
	"MO": "MAR", // Morocco
	"MP": "MUS", // Mauritius
	"MQ": "UMI", // Midway Islands (US)
	"MR": "MRT", // Mauritania
	"MT": "MLT", // Malta
	"MU": "OMN", // Oman
	"MV": "MDV", // Maldives
	"MX": "MEX", // Mexico
	"MY": "MYS", // Malaysia
	"MZ": "MOZ", // Mozambique
	"NC": "NCL", // New Caledonia
	"NE": "NIU", // Niue
	"NF": "NFK", // Norfolk Island
	"NG": "NER", // Niger
	"NH": "VUT", // Vanuatu
	"NI": "NGA", // Nigeria
	"NL": "NLD", // Netherlands
	"NN": "SXM", // Sint Maarten
	"NO": "NOR", // Norway
	"NP": "NPL", // Nepal
	"NR": "NRU", // Nauru
	"NS": "SUR", // Suriname
	"NT": "NLD", // Netherlands Antilles (dissolved 2010; Kingdom of the Netherlands)
	"NU": "NIC", // Nicaragua
	"NZ": "NZL", // New Zealand
	"OD": "SSD", // South Sudan
	"PA": "PRY", // Paraguay
	"PC": "PCN", // Pitcairn Islands
	"PE": "PER", // Peru
	"PK": "PAK", // Pakistan
	"PL": "POL", // Poland
	"PM": "PAN", // Panama
	"PO": "PRT", // Portugal
	"PP": "PNG", // Papua New Guinea
	"PS": "PLW", // Palau
	"PU": "GNB", // Guinea-Bissau
	"QA": "QAT", // Qatar
	"RE": "REU", // Reunion
	"RI": "SRB", // Serbia
	"RM": "MHL", // Marshall Islands
	"RN": "MAF", // Saint Martin
	"RO": "ROU", // Romania
	"RP": "PHL", // Philippines
	"RQ": "PRI", // Puerto Rico
	"RS": "RUS", // Russia
	"RW": "RWA", // Rwanda
	"SA": "SAU", // Saudi Arabia
	"SB": "SPM", // Saint Pierre and Miquelon
	"SC": "KNA", // Saint Kitts and Nevis
	"SE": "SYC", // Seychelles
	"SF": "ZAF", // South Africa
	"SG": "SEN", // Senegal
	"SH": "SHN", // Saint Helena, Ascension and Tristan da Cunha
	"SI": "SVN", // Slovenia
	"SL": "SLE", // Sierra Leone
	"SM": "SMR", // San Marino
	"SN": "SGP", // Singapore
	"SO": "SOM", // Somalia
	"SP": "ESP", // Spain
	"ST": "LCA", // Saint Lucia
	"SU": "SDN", // Sudan
	"SV": "SJM", // Svalbard
	"SW": "SWE", // Sweden
	"SX": "SGS", // South Georgia and the South Sandwich Islands
	"SY": "SYR", // Syria
	"SZ": "CHE", // Switzerland
	"TB": "BLM", // Saint Barthelemy
	"TD": "TTO", // Trinidad and Tobago
	"TE": "ATF", // Tromelin Island (French Scattered Islands)
	"TH": "THA", // Thailand
	"TI": "TJK", // Tajikistan
	"TK": "TCA", // Turks and Caicos Islands
	"TL": "TKL", // Tokelau
	"TN": "TON", // Tonga
	"TO": "TGO", // Togo
	"TP": "STP", // Sao Tome and Principe
	"TS": "TUN", // Tunisia
	"TT": "TLS", // Timor-Leste (East Timor)
	"TU": "TUR", // Turkey
	"TV": "TUV", // Tuvalu
	"TW": "TWN", // Taiwan
	"TX": "TKM", // Turkmenistan
	"TZ": "TZA", // Tanzania
	"UC": "CUW", // Curacao
	"UG": "UGA", // Uganda
	"UK": "GBR", // United Kingdom
	"UP": "UKR", // Ukraine
	"US": "USA", // United States
	"UV": "BFA", // Burkina Faso
	"UY": "URY", // Uruguay
	"UZ": "UZB", // Uzbekistan
	"VC": "VCT", // Saint Vincent and the Grenadines
	"VE": "VEN", // Venezuela
	"VI": "VGB", // British Virgin Islands
	"VM": "VNM", // Vietnam
	"VQ": "VIR", // Virgin Islands (US)
	"VT": "VAT", // Holy See (Vatican City)
	"WA": "NAM", // Namibia
	"WE": "PSE", // West Bank
	"WF": "WLF", // Wallis and Futuna
	"WI": "ESH", // Western Sahara
	"WQ": "UMI", // Wake Island (US)
	"WS": "WSM", // Samoa
	"WZ": "SWZ", // Swaziland (Eswatini)
	"YI": "SRB", // Serbia and Montenegro (former Yugoslavia; retired code)
	"YM": "YEM", // Yemen
	"ZA": "ZMB", // Zambia
	"ZI": "ZWE", // Zimbabwe
}

// FIPSToISO converts a FIPS 10-4 country code, as found in GDELT's
// Actor1Geo_CountryCode, Actor2Geo_CountryCode and ActionGeo_CountryCode
// fields, to an ISO 3166-1 alpha-3 code (XKX for Kosovo). The lookup ignores
// case and surrounding spaces. It reports false for an empty or unknown code
// and for the codes deliberately left unmapped (oceans, no man's land,
// undersea features and disputed islands such as the Paracels and Spratlys).
func FIPSToISO(fips string) (string, bool) {
	iso, ok := fipsToISO[strings.ToUpper(strings.TrimSpace(fips))]
	return iso, ok
}

//! French postal codes: five digits, with the repairs for `69OO3` and `69 003`.

use super::{Candidate, Repair};

const LEN: usize = 5;

/// Candidates in `words` (text folded by `fold_words`): exact five-digit tokens first, then
/// repaired ones (letter O for zero, digits split by spaces or dots), in order of appearance.
pub fn candidates(words: &str) -> Vec<Candidate> {
    let tokens: Vec<&str> = words.split(' ').filter(|t| !t.is_empty()).collect();
    let mut out: Vec<Candidate> = tokens
        .iter()
        .filter(|t| t.len() == LEN && t.bytes().all(|b| b.is_ascii_digit()))
        .map(|t| Candidate::exact(*t))
        .collect();
    for start in 0..tokens.len() {
        let mut code = String::new();
        let mut parts = 0;
        for t in &tokens[start..] {
            if !t.bytes().all(|b| b.is_ascii_digit() || b == b'o') || code.len() + t.len() > LEN {
                break;
            }
            code.push_str(t);
            parts += 1;
            if code.len() == LEN {
                break;
            }
        }
        let digits = code.bytes().filter(u8::is_ascii_digit).count();
        let has_o = code.contains('o');
        if code.len() != LEN || digits < 3 || (parts == 1 && !has_o) {
            continue;
        }
        let mut repairs = Vec::new();
        if has_o {
            repairs.push(Repair::LetterOForZero);
        }
        if parts > 1 {
            repairs.push(Repair::SpacesInCode);
        }
        let value = code.replace('o', "0");
        if !out.iter().any(|c| c.value == value) {
            out.push(Candidate {
                value,
                repairs,
                shared: false,
            });
        }
    }
    out
}

/// Metropolitan departments by the first two digits of their postal codes (`01` to `95`;
/// `20`, Corsica, is read from the third digit).
const DEPARTMENTS: [&str; 95] = [
    "Ain",
    "Aisne",
    "Allier",
    "Alpes-de-Haute-Provence",
    "Hautes-Alpes",
    "Alpes-Maritimes",
    "Ardèche",
    "Ardennes",
    "Ariège",
    "Aube",
    "Aude",
    "Aveyron",
    "Bouches-du-Rhône",
    "Calvados",
    "Cantal",
    "Charente",
    "Charente-Maritime",
    "Cher",
    "Corrèze",
    "",
    "Côte-d'Or",
    "Côtes-d'Armor",
    "Creuse",
    "Dordogne",
    "Doubs",
    "Drôme",
    "Eure",
    "Eure-et-Loir",
    "Finistère",
    "Gard",
    "Haute-Garonne",
    "Gers",
    "Gironde",
    "Hérault",
    "Ille-et-Vilaine",
    "Indre",
    "Indre-et-Loire",
    "Isère",
    "Jura",
    "Landes",
    "Loir-et-Cher",
    "Loire",
    "Haute-Loire",
    "Loire-Atlantique",
    "Loiret",
    "Lot",
    "Lot-et-Garonne",
    "Lozère",
    "Maine-et-Loire",
    "Manche",
    "Marne",
    "Haute-Marne",
    "Mayenne",
    "Meurthe-et-Moselle",
    "Meuse",
    "Morbihan",
    "Moselle",
    "Nièvre",
    "Nord",
    "Oise",
    "Orne",
    "Pas-de-Calais",
    "Puy-de-Dôme",
    "Pyrénées-Atlantiques",
    "Hautes-Pyrénées",
    "Pyrénées-Orientales",
    "Bas-Rhin",
    "Haut-Rhin",
    "Rhône",
    "Haute-Saône",
    "Saône-et-Loire",
    "Sarthe",
    "Savoie",
    "Haute-Savoie",
    "Paris",
    "Seine-Maritime",
    "Seine-et-Marne",
    "Yvelines",
    "Deux-Sèvres",
    "Somme",
    "Tarn",
    "Tarn-et-Garonne",
    "Var",
    "Vaucluse",
    "Vendée",
    "Vienne",
    "Haute-Vienne",
    "Vosges",
    "Yonne",
    "Territoire-de-Belfort",
    "Essonne",
    "Hauts-de-Seine",
    "Seine-Saint-Denis",
    "Val-de-Marne",
    "Val-d'Oise",
];

/// Overseas departments and collectivities by the first three digits.
const OVERSEAS: &[(&str, &str)] = &[
    ("971", "Guadeloupe"),
    ("972", "Martinique"),
    ("973", "Guyane"),
    ("974", "La Réunion"),
    ("975", "Saint-Pierre-et-Miquelon"),
    ("976", "Mayotte"),
];

/// The department a French postal code belongs to (`93200` → Seine-Saint-Denis, `97400` →
/// La Réunion), to tell apart places that share a name. A few communes have the code of a
/// neighbouring department's post office; the name is then that department's.
pub fn department(code: &str) -> Option<&'static str> {
    if code.len() != LEN || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let prefix = code.get(..2)?;
    match prefix {
        "97" => OVERSEAS
            .iter()
            .find(|(p, _)| code.starts_with(p))
            .map(|(_, name)| *name),
        "20" => Some(if code.get(2..3).is_some_and(|d| d < "2") {
            "Corse-du-Sud"
        } else {
            "Haute-Corse"
        }),
        _ => prefix
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| DEPARTMENTS.get(i))
            .filter(|name| !name.is_empty())
            .copied(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(words: &str) -> Vec<(String, Vec<Repair>)> {
        candidates(words)
            .into_iter()
            .map(|c| (c.value, c.repairs))
            .collect()
    }

    #[test]
    fn exact_codes_come_first() {
        assert_eq!(values("monresultat 69003"), vec![("69003".into(), vec![])]);
        assert!(values("monresultat 690031").is_empty());
        assert!(values("monresultat 6900").is_empty());
    }

    #[test]
    fn repairs_letter_o_and_spaces() {
        assert_eq!(
            values("monresultat 69oo3"),
            vec![("69003".into(), vec![Repair::LetterOForZero])]
        );
        assert_eq!(
            values("monresultat 69 003"),
            vec![("69003".into(), vec![Repair::SpacesInCode])]
        );
        assert_eq!(
            values("75 o 12"),
            vec![(
                "75012".into(),
                vec![Repair::LetterOForZero, Repair::SpacesInCode]
            )]
        );
        // Words made of the letter o alone are not codes.
        assert!(values("oooo o").is_empty());
    }

    #[test]
    fn departments_tell_apart_places_sharing_a_name() {
        assert_eq!(department("93200"), Some("Seine-Saint-Denis"));
        assert_eq!(department("97400"), Some("La Réunion"));
        assert_eq!(department("01000"), Some("Ain"));
        assert_eq!(department("95000"), Some("Val-d'Oise"));
        assert_eq!(department("20000"), Some("Corse-du-Sud"));
        assert_eq!(department("20200"), Some("Haute-Corse"));
        assert_eq!(department("75001"), Some("Paris"));
        assert_eq!(department("98000"), None);
        assert_eq!(department("9320"), None);
    }
}

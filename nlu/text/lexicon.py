"""What the telco entity extractor looks for: equipment, offers and options, cities, with canonical values."""

# canonical value -> ways callers say it (lower case; matched on whole tokens)
EQUIPMENT: dict[str, tuple[str, ...]] = {
    "box": ("box", "la box", "modem", "routeur", "livebox", "freebox", "bbox"),
    "decoder": ("décodeur", "decodeur", "boîtier tv", "boitier tv", "boîtier télé", "décodeur tv"),
    "repeater": ("répéteur", "repeteur", "répéteur wifi", "amplificateur wifi"),
    "sim": ("carte sim", "sim", "puce"),
    "esim": ("esim", "e-sim"),
    "phone": ("téléphone", "telephone", "portable", "smartphone", "mobile"),
    "iphone": ("iphone", "iphone 13", "iphone 14", "iphone 15", "iphone 16"),
    "galaxy": ("galaxy", "samsung", "galaxy s24", "galaxy a55", "galaxy s23"),
    "pixel": ("pixel", "pixel 8", "pixel 9"),
    "landline_phone": ("téléphone fixe", "telephone fixe", "fixe", "combiné"),
    "remote": ("télécommande", "telecommande"),
}
OFFERS: dict[str, tuple[str, ...]] = {
    "fibre": ("fibre", "la fibre", "fibre optique", "ftth"),
    "adsl": ("adsl", "l'adsl", "ligne adsl"),
    "BOX_FIBRE_2G_TV": ("box fibre 2 gb", "fibre 2 giga", "fibre avec la télé", "box fibre tv"),
    "MOBILE_5G_200G": ("forfait 5g", "5g", "200 go", "forfait 200 go"),
    "MOBILE_100G": ("forfait 100 go", "100 go"),
    "MOBILE_2H": ("forfait 2h", "forfait deux heures", "petit forfait"),
    "CONV_FAMILLE": ("offre famille", "offre convergente", "pack famille"),
    "OPT_INTERNATIONAL": ("option internationale", "option international", "appels internationaux",
                          "appels à l'étranger"),
    "OPT_DATA_EU": ("option europe", "data europe", "roaming", "itinérance"),
    "OPT_TV_SPORT": ("option tv sport", "option sport", "chaînes sport", "bouquet sport"),
    "OPT_CLOUD": ("option cloud", "cloud"),
    "OPT_SECURITE": ("option sécurité", "contrôle parental", "controle parental"),
}
CITIES: tuple[str, ...] = (
    "Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Nantes", "Montpellier", "Strasbourg", "Bordeaux", "Lille",
    "Rennes", "Reims", "Toulon", "Saint-Étienne", "Le Havre", "Grenoble", "Dijon", "Angers", "Nîmes",
    "Villeurbanne", "Clermont-Ferrand", "Le Mans", "Aix-en-Provence", "Brest", "Tours", "Amiens", "Limoges",
    "Annecy", "Perpignan", "Boulogne-Billancourt", "Metz", "Besançon", "Orléans", "Rouen", "Mulhouse", "Caen",
    "Nancy", "Argenteuil", "Montreuil", "Saint-Denis", "Roubaix", "Tourcoing", "Avignon", "Poitiers", "Pau",
    "La Rochelle", "Calais", "Cannes", "Antibes", "Béziers", "Colmar", "Bourges", "Quimper", "Valence", "Vannes",
    "Lorient", "Chambéry", "Niort", "Troyes", "Lens", "Ajaccio", "Bastia", "Bayonne", "Biarritz", "Cherbourg",
    "Saint-Malo", "Saint-Nazaire", "Chartres", "Arras", "Dunkerque", "Évry", "Créteil", "Versailles", "Nanterre",
    "Vitry-sur-Seine", "Cergy", "Pontoise", "Melun", "Meaux", "Fort-de-France", "Pointe-à-Pitre", "Saint-Pierre",
)

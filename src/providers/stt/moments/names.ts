/**
 * The names moment: after "what's your name?". Common US first names and surnames (the most
 * frequent in census-style name lists), with the carrier phrases callers wrap them in.
 */

export const FIRST_NAMES: readonly string[] = (
  'james mary robert patricia john jennifer michael linda david elizabeth william barbara ' +
  'richard susan joseph jessica thomas sarah charles karen christopher lisa daniel nancy ' +
  'matthew betty anthony margaret mark sandra donald ashley steven kimberly paul emily ' +
  'andrew donna joshua michelle kenneth carol kevin amanda brian dorothy george melissa ' +
  'timothy deborah ronald stephanie edward rebecca jason sharon jeffrey laura ryan cynthia ' +
  'jacob kathleen gary amy nicholas angela eric shirley jonathan anna stephen brenda larry ' +
  'pamela justin emma scott nicole brandon helen benjamin samantha samuel katherine gregory ' +
  'christine alexander debra frank rachel patrick carolyn raymond janet jack catherine ' +
  'dennis maria jerry heather tyler diane aaron ruth jose julie adam olivia nathan joyce ' +
  'henry virginia douglas victoria zachary kelly peter lauren kyle christina ethan joan ' +
  'walter evelyn noah judith jeremy megan christian andrea keith cheryl roger hannah terry ' +
  'jacqueline gerald martha harold gloria sean teresa austin ann carl sara arthur madison ' +
  'lawrence frances dylan kathryn jesse janice jordan jean bryan abigail billy alice joe ' +
  'judy bruce sophia gabriel grace logan denise albert amber willie doris alan marilyn ' +
  'juan danielle wayne beverly elijah isabella randy theresa roy diana vincent natalie ' +
  'ralph brittany eugene charlotte russell marie bobby kayla mason alexis philip lori ' +
  'louis tom bob jim mike bill dave steve tony sam ben dan chris nick matt joe rick ' +
  'kate jane sue liz beth jenny meg tina amy ellen rose lucy'
).split(' ');

export const LAST_NAMES: readonly string[] = (
  'smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez ' +
  'lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson ' +
  'white harris sanchez clark ramirez lewis robinson walker young allen king wright scott ' +
  'torres nguyen hill flores green adams nelson baker hall rivera campbell mitchell ' +
  'carter roberts gomez phillips evans turner diaz parker cruz edwards collins reyes ' +
  'stewart morris morales murphy cook rogers gutierrez ortiz morgan cooper peterson bailey ' +
  'reed kelly howard ramos kim cox ward richardson watson brooks chavez wood james bennett ' +
  'gray mendoza ruiz hughes price alvarez castillo sanders patel myers long ross foster ' +
  'jimenez powell jenkins perry russell sullivan bell coleman butler henderson barnes ' +
  'gonzales fisher vasquez simmons romero jordan patterson alexander hamilton graham ' +
  'reynolds griffin wallace moreno west cole hayes bryant herrera gibson ellis tran ' +
  'medina aguilar stevens murray ford castro marshall owens harrison fernandez mcdonald ' +
  'woods washington kennedy wells vargas henry chen freeman webb tucker guzman burns ' +
  'crawford olson simpson porter hunter gordon mendez silva shaw snyder mason dixon ' +
  'munoz hunt hicks holmes palmer wagner black robertson boyd rose stone salazar fox ' +
  'warren mills meyer rice schmidt garza daniels ferguson nichols stephens soto weaver ' +
  'ryan gardner payne grant dunn kelley spencer hawkins arnold pierce hansen peters ' +
  'santos hart bradley knight elliott cunningham duncan armstrong hudson carroll lane ' +
  'riley andrews ray berry perkins hoffman johnston matthews pena richards willis ' +
  'carpenter lawrence sandoval obrien oconnor'
).split(' ');

const CARRIERS = ['my name is', "it's", 'this is', 'it is', 'i am', "i'm", 'yeah it is', 'name is'];

/** Sentences of the names model: names alone, whole names, and whole names in carriers. */
export function namePhrases(): string[] {
  const out: string[] = [];
  const firsts = FIRST_NAMES;
  const lasts = LAST_NAMES;
  for (const f of firsts) out.push(f);
  for (const l of lasts) out.push(l, `mister ${l}`, `miss ${l}`);
  // Each first name with a few surnames and each surname after a few first names, spread so
  // every pairing of a first and a last name is reachable through the model's bigrams.
  for (let i = 0; i < firsts.length; i++) {
    for (let k = 0; k < 3; k++) {
      const full = `${firsts[i]} ${lasts[(i * 7 + k * 53) % lasts.length]}`;
      out.push(full, `${CARRIERS[(i + k) % CARRIERS.length]} ${full}`);
    }
  }
  for (let j = 0; j < lasts.length; j++) {
    out.push(`${firsts[(j * 11) % firsts.length]} ${lasts[j]}`);
  }
  for (const c of CARRIERS) out.push(`${c} ${firsts[0]}`, `${c} ${firsts[1]} ${lasts[0]}`);
  out.push('first name', 'last name', 'the last name is smith', 'spelled');
  return out;
}
